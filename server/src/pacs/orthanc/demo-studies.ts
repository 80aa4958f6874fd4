// Demo and test studies made with dcmtk (dump2dcm, img2dcm, dcmodify): a multi-slice CT, a multi-frame
// ultrasound and a JPEG-baseline DR, with Chinese patient names in ISO_IR 192 (UTF-8). Pixel data is a synthetic
// phantom (body, lungs, spine), different on every slice so each instance has its own pixel hash. The patients are
// placeholders (张三, 李四, 王五), never people from the seed data.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";

const run = promisify(execFile);

export const uid = () => `2.25.${BigInt(`0x${randomUUID().replace(/-/g, "")}`).toString()}`;

export interface DemoPatient {
  /** Alphabetic=ideographic, e.g. "Zhang^San=张^三". */
  name: string;
  id: string;
  birthDate: string;
  sex: "M" | "F";
}

export const DEMO_PATIENTS = [
  { name: "Zhang^San=张^三", id: "PACS-DEMO-0001", birthDate: "19580312", sex: "M" },
  { name: "Li^Si=李^四", id: "PACS-DEMO-0002", birthDate: "19910704", sex: "F" },
  { name: "Wang^Wu=王^五", id: "PACS-DEMO-0003", birthDate: "19760125", sex: "M" },
] as const satisfies readonly DemoPatient[];

export interface StudySpec {
  patient: DemoPatient;
  studyDate: string;
  accession: string;
  description: string;
  institution?: string;
}

type Dump = [tag: string, vr: string, value: string][];

function dumpText(rows: Dump): string {
  return (
    rows
      .map(
        ([tag, vr, value]) =>
          `(${tag}) ${vr} ${value.startsWith("=") || vr === "US" || vr === "AT" ? value : `[${value}]`}`,
      )
      .join("\n") + "\n"
  );
}

function commonRows(
  s: StudySpec,
  studyUid: string,
  seriesUid: string,
  sopClass: string,
  sopUid: string,
  modality: string,
): Dump {
  return [
    ["0008,0005", "CS", "ISO_IR 192"],
    ["0008,0016", "UI", sopClass],
    ["0008,0018", "UI", sopUid],
    ["0008,0020", "DA", s.studyDate],
    ["0008,0030", "TM", "093000"],
    ["0008,0050", "SH", s.accession],
    ["0008,0060", "CS", modality],
    ["0008,0080", "LO", s.institution ?? "示范乡镇卫生院"],
    ["0008,0090", "PN", "Zhao^Yi=赵^医生"],
    ["0008,1030", "LO", s.description],
    ["0010,0010", "PN", s.patient.name],
    ["0010,0020", "LO", s.patient.id],
    ["0010,0030", "DA", s.patient.birthDate],
    ["0010,0040", "CS", s.patient.sex],
    ["0020,000d", "UI", studyUid],
    ["0020,000e", "UI", seriesUid],
    ["0020,0010", "SH", "1"],
    ["0020,0011", "IS", "1"],
  ];
}

async function dump2dcm(dir: string, name: string, rows: Dump, pixels: Buffer): Promise<string> {
  const raw = path.join(dir, `${name}.raw`);
  const dumpFile = path.join(dir, `${name}.dump`);
  const out = path.join(dir, `${name}.dcm`);
  await writeFile(raw, pixels);
  await writeFile(
    dumpFile,
    dumpText([
      ...rows,
      ["7fe0,0010", rows.some(([t, , v]) => t === "0028,0100" && v === "8") ? "OB" : "OW", `=${raw}`],
    ]),
  );
  await run("dump2dcm", ["--write-xfer-little", dumpFile, out]);
  return out;
}

/** CT phantom slice in stored values (HU + 1024): air, body, two lungs, spine; all shapes move with z. */
function ctSlice(size: number, z: number, slices: number): Buffer {
  const px = Buffer.alloc(size * size * 2);
  const t = slices > 1 ? z / (slices - 1) : 0.5;
  const c = size / 2;
  const bodyR = size * (0.38 + 0.04 * Math.sin(t * Math.PI));
  const lungR = size * 0.12 * Math.sin(Math.min(1, t * 1.4) * Math.PI);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = x - c;
      const dy = y - c;
      let hu = -1000;
      if ((dx * dx) / (bodyR * bodyR) + (dy * dy) / (bodyR * 0.75 * bodyR * 0.75) <= 1) {
        hu = 40 + ((x * 7 + y * 13 + z * 17) % 20) - 10;
        for (const lx of [-size * 0.17, size * 0.17]) {
          const ex = dx - lx;
          const ey = dy + size * 0.03;
          if (lungR > 1 && (ex * ex) / (lungR * lungR) + (ey * ey) / (lungR * 1.3 * lungR * 1.3) <= 1)
            hu = -820 + ((x + y + z) % 30);
        }
        const sy = dy - size * 0.2;
        if (dx * dx + sy * sy <= (size * 0.05) ** 2) hu = 700 + ((x * y + z) % 50);
      }
      px.writeUInt16LE(Math.max(0, Math.min(4095, hu + 1024)), (y * size + x) * 2);
    }
  }
  return px;
}

/** A CT series of `slices` images (size×size, 12 bits stored, 1 mm apart). */
export async function makeCtStudy(
  dir: string,
  s: StudySpec,
  opts: { slices: number; size: number },
): Promise<{ studyUid: string; files: string[] }> {
  await mkdir(dir, { recursive: true });
  const studyUid = uid();
  const seriesUid = uid();
  const files: string[] = [];
  for (let i = 0; i < opts.slices; i++) {
    const rows: Dump = [
      ...commonRows(s, studyUid, seriesUid, "1.2.840.10008.5.1.4.1.1.2", uid(), "CT"),
      ["0008,103e", "LO", "胸部平扫 1mm"],
      ["0018,0015", "CS", "CHEST"],
      ["0018,0050", "DS", "1"],
      ["0018,0060", "DS", "120"],
      ["0020,0013", "IS", String(i + 1)],
      ["0020,0032", "DS", `-175\\-175\\${(-i).toFixed(1)}`],
      ["0020,0037", "DS", "1\\0\\0\\0\\1\\0"],
      ["0020,0052", "UI", studyUid + ".1"],
      ["0020,1041", "DS", (-i).toFixed(1)],
      ["0028,0002", "US", "1"],
      ["0028,0004", "CS", "MONOCHROME2"],
      ["0028,0010", "US", String(opts.size)],
      ["0028,0011", "US", String(opts.size)],
      ["0028,0030", "DS", `${(350 / opts.size).toFixed(4)}\\${(350 / opts.size).toFixed(4)}`],
      ["0028,0100", "US", "16"],
      ["0028,0101", "US", "12"],
      ["0028,0102", "US", "11"],
      ["0028,0103", "US", "0"],
      ["0028,1050", "DS", "40"],
      ["0028,1051", "DS", "400"],
      ["0028,1052", "DS", "-1024"],
      ["0028,1053", "DS", "1"],
      ["0028,1054", "LO", "HU"],
    ];
    files.push(await dump2dcm(dir, `ct-${String(i + 1).padStart(4, "0")}`, rows, ctSlice(opts.size, i, opts.slices)));
  }
  return { studyUid, files };
}

/** A multi-frame ultrasound (US Multi-frame Image Storage, 8-bit MONOCHROME2, 25 frames per second). */
export async function makeUsStudy(dir: string, s: StudySpec, opts: { frames: number; width: number; height: number }) {
  await mkdir(dir, { recursive: true });
  const studyUid = uid();
  const frameBytes = opts.width * opts.height;
  const px = Buffer.alloc(frameBytes * opts.frames);
  for (let f = 0; f < opts.frames; f++) {
    for (let y = 0; y < opts.height; y++) {
      for (let x = 0; x < opts.width; x++) {
        // A fan-shaped sector with speckle and a pulsing dark structure.
        const dx = x - opts.width / 2;
        const r = Math.hypot(dx, y);
        const inFan = y > 10 && Math.abs(dx) < y * 0.9 && r < opts.height * 0.95;
        const cyst =
          Math.hypot(dx, y - opts.height * 0.5) <
          opts.height * (0.12 + 0.03 * Math.sin((f / opts.frames) * 2 * Math.PI));
        const speckle = (x * 73 + y * 151 + f * 29) % 97;
        px[f * frameBytes + y * opts.width + x] = inFan
          ? cyst
            ? 10 + (speckle % 15)
            : 60 + speckle + Math.round(40 * Math.sin(y / 9))
          : 0;
      }
    }
  }
  const rows: Dump = [
    ...commonRows(s, studyUid, uid(), "1.2.840.10008.5.1.4.1.1.3.1", uid(), "US"),
    ["0008,103e", "LO", "腹部超声 动态"],
    ["0018,0015", "CS", "ABDOMEN"],
    ["0018,1063", "DS", "40"],
    ["0020,0013", "IS", "1"],
    ["0028,0002", "US", "1"],
    ["0028,0004", "CS", "MONOCHROME2"],
    ["0028,0008", "IS", String(opts.frames)],
    ["0028,0009", "AT", "(0018,1063)"],
    ["0028,0010", "US", String(opts.height)],
    ["0028,0011", "US", String(opts.width)],
    ["0028,0100", "US", "8"],
    ["0028,0101", "US", "8"],
    ["0028,0102", "US", "7"],
    ["0028,0103", "US", "0"],
  ];
  return { studyUid, files: [await dump2dcm(dir, "us-0001", rows, px)] };
}

/** A chest DR as Digital X-Ray (For Presentation) with its pixels as one JPEG baseline stream (img2dcm). */
export async function makeDxStudy(dir: string, s: StudySpec, opts: { size: number }) {
  await mkdir(dir, { recursive: true });
  const studyUid = uid();
  const n = opts.size;
  const px = Buffer.alloc(n * n);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const dx = (x - n / 2) / (n / 2);
      const dy = (y - n / 2) / (n / 2);
      const lung = Math.abs(Math.abs(dx) - 0.35) < 0.22 && Math.abs(dy) < 0.55 ? 60 : 0;
      const rib = Math.abs(Math.sin(dy * 18 + Math.abs(dx) * 4)) > 0.92 ? 40 : 0;
      const spine = Math.abs(dx) < 0.07 ? 90 : 0;
      px[y * n + x] = Math.max(0, Math.min(255, 200 - lung * 2 + rib + spine - Math.round(80 * (dx * dx + dy * dy))));
    }
  }
  const jpeg = path.join(dir, "dx.jpg");
  await sharp(px, { raw: { width: n, height: n, channels: 1 } })
    .jpeg({ quality: 90, chromaSubsampling: "4:4:4" })
    .toFile(jpeg);
  const out = path.join(dir, "dx-0001.dcm");
  const keys = [
    ...commonRows(s, studyUid, uid(), "1.2.840.10008.5.1.4.1.1.1.1", uid(), "DX").filter(
      ([tag]) => !["0008,0016", "0008,0018"].includes(tag),
    ),
    ["0008,103e", "LO", "胸部正位 DR"],
    ["0008,0068", "CS", "FOR PRESENTATION"],
    ["0018,0015", "CS", "CHEST"],
    ["0020,0013", "IS", "1"],
    ["0020,0020", "CS", "L\\F"],
  ];
  await run("img2dcm", [
    "-i",
    "JPEG",
    "--no-checks",
    ...keys.flatMap(([tag, , v]) => ["-k", `(${tag})=${v}`]),
    jpeg,
    out,
  ]);
  // img2dcm writes Secondary Capture; the modality's own storage class is what a PACS would hold.
  const dx = "1.2.840.10008.5.1.4.1.1.1.1";
  const sop = uid();
  await run("dcmodify", ["-nb", "-m", `(0008,0016)=${dx}`, "-m", `(0008,0018)=${sop}`, out]);
  return { studyUid, files: [out] };
}

/** The demo PACS's studies: CT (24 slices), US (30 frames), DR; small enough to seed in a few seconds. */
export async function makeDemoStudies(dir: string, opts: { ctSlices?: number; ctSize?: number } = {}) {
  const ct = await makeCtStudy(
    path.join(dir, "ct"),
    { patient: DEMO_PATIENTS[0], studyDate: "20261118", accession: "CT20261118001", description: "胸部CT平扫" },
    {
      slices: opts.ctSlices ?? 24,
      size: opts.ctSize ?? 256,
    },
  );
  const us = await makeUsStudy(
    path.join(dir, "us"),
    { patient: DEMO_PATIENTS[1], studyDate: "20261120", accession: "US20261120003", description: "腹部彩超" },
    {
      frames: 30,
      width: 320,
      height: 240,
    },
  );
  const dx = await makeDxStudy(
    path.join(dir, "dx"),
    { patient: DEMO_PATIENTS[2], studyDate: "20261121", accession: "DX20261121007", description: "胸部正位片" },
    { size: 512 },
  );
  return { ct, us, dx, files: [...ct.files, ...us.files, ...dx.files] };
}

export const readAll = (files: string[]) => Promise.all(files.map((f) => readFile(f)));
