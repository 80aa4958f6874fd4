// Test files made with real tools: ImageMagick (images), img2pdf + poppler (PDF), dcmtk (DICOM), zip.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

// The real ImageMagick binary (a PATH shim may stand in for it on some machines).
const CONVERT = "/usr/bin/convert";

export interface Fixtures {
  dir: string;
  jpeg: string;
  png: string;
  pdf2: string;
  dicomJpeg: string;
  dicomRaw: string;
  dicomGray: string;
  dicomTruncated: string;
  exeAsJpg: string;
  elfAsJpg: string;
  docx: string;
  docxBomb: string;
  plainZip: string;
  bigJpeg: string;
  truncatedJpeg: string;
}

const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, stdio: ["ignore", "ignore", "pipe"] });

/** A minimal but well-formed .docx (the parts file-type and Word look for). */
function writeDocx(dir: string, name: string, extra?: { file: string; sizeMb: number }) {
  const root = path.join(dir, `${name}-src`);
  const py = `
import zipfile, sys
z = zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED)
z.writestr("[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
z.writestr("_rels/.rels", '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
z.writestr("word/document.xml", '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>病历摘要</w:t></w:r></w:p></w:body></w:document>')
if len(sys.argv) > 2:
    with z.open(sys.argv[2], "w", force_zip64=False) as f:
        block = b"\\0" * (1 << 20)
        for _ in range(int(sys.argv[3])):
            f.write(block)
z.close()
`;
  const out = path.join(dir, `${name}.docx`);
  const args = ["-c", py, out];
  if (extra) args.push(extra.file, String(extra.sizeMb));
  execFileSync("python3", args, { stdio: ["ignore", "ignore", "pipe"] });
  void root;
  return out;
}

export function makeFixtures(): Fixtures {
  const dir = mkdtempSync(path.join(tmpdir(), "yilian-fx-"));
  run(CONVERT, ["-size", "640x480", "gradient:navy-white", "-quality", "90", "photo.jpg"], dir);
  run(CONVERT, ["-size", "300x200", "pattern:checkerboard", "scan.png"], dir);
  run("img2pdf", ["photo.jpg", "-o", "page.pdf"], dir);
  run("pdfunite", ["page.pdf", "page.pdf", "report.pdf"], dir);
  const tags = [
    "-k",
    "PatientName=Zhang^San",
    "-k",
    "PatientID=ZS-0001",
    "-k",
    "PatientBirthDate=19600101",
    "-k",
    "StudyDate=20240301",
    "-k",
    "Modality=CT",
    "-k",
    "BodyPartExamined=CHEST",
    "-k",
    "InstitutionName=Hadashan Health Centre",
    "-k",
    "ReferringPhysicianName=Li^Si",
  ];
  run("img2dcm", ["photo.jpg", "ct-jpeg.dcm", ...tags], dir);
  run("dcmdjpeg", ["ct-jpeg.dcm", "ct-raw.dcm"], dir);
  run(CONVERT, ["photo.jpg", "-colorspace", "Gray", "gray.jpg"], dir);
  run("img2dcm", ["gray.jpg", "gray-jpeg.dcm", ...tags], dir);
  run("dcmdjpeg", ["gray-jpeg.dcm", "mr-gray.dcm"], dir);
  const raw = readFileSync(path.join(dir, "ct-raw.dcm"));
  writeFileSync(path.join(dir, "truncated.dcm"), raw.subarray(0, Math.floor(raw.length * 0.6)));
  // A Windows executable (MZ/PE header) and a real Linux executable, both named like photos.
  const pe = Buffer.alloc(1024);
  pe.write("MZ", 0, "latin1");
  pe.writeUInt32LE(0x80, 0x3c);
  pe.write("PE\0\0", 0x80, "latin1");
  writeFileSync(path.join(dir, "setup.jpg"), pe);
  copyFileSync("/bin/ls", path.join(dir, "ls.jpg"));
  const docx = writeDocx(dir, "summary");
  const bomb = writeDocx(dir, "bomb", { file: "word/media/image1.bin", sizeMb: 300 });
  run("zip", ["-q", "plain.zip", "photo.jpg"], dir);
  // Incompressible noise: a JPEG of several MB.
  run(CONVERT, ["-size", "1800x1800", "xc:gray", "+noise", "Random", "-quality", "100", "big.jpg"], dir);
  const jpg = readFileSync(path.join(dir, "photo.jpg"));
  writeFileSync(path.join(dir, "cut.jpg"), jpg.subarray(0, Math.floor(jpg.length / 2)));
  if (statSync(path.join(dir, "big.jpg")).size < 2 * 1024 * 1024)
    throw new Error("big.jpg too small for the size-limit test");
  return {
    dir,
    jpeg: path.join(dir, "photo.jpg"),
    png: path.join(dir, "scan.png"),
    pdf2: path.join(dir, "report.pdf"),
    dicomJpeg: path.join(dir, "ct-jpeg.dcm"),
    dicomRaw: path.join(dir, "ct-raw.dcm"),
    dicomGray: path.join(dir, "mr-gray.dcm"),
    dicomTruncated: path.join(dir, "truncated.dcm"),
    exeAsJpg: path.join(dir, "setup.jpg"),
    elfAsJpg: path.join(dir, "ls.jpg"),
    docx,
    docxBomb: bomb,
    plainZip: path.join(dir, "plain.zip"),
    bigJpeg: path.join(dir, "big.jpg"),
    truncatedJpeg: path.join(dir, "cut.jpg"),
  };
}

/** Text of `dcmdump` for a DICOM file: a real tool's reading of what we serve. */
export function dcmdump(file: string): string {
  return execFileSync("dcmdump", [file], { encoding: "utf8" });
}
