// The demo/test PACS itself: Orthanc from Debian with DICOMweb, loopback only, password required, seeded with the
// dcmtk-made CT, ultrasound and JPEG-baseline DR with Chinese names in ISO_IR 192.
import { basicAuth } from "../../server/src/pacs/orthanc/orthanc";
import { startTestPacs, type TestPacs } from "../helpers/orthanc";

let pacs: TestPacs;
beforeAll(async () => {
  pacs = await startTestPacs();
}, 60_000);
afterAll(() => pacs?.stop());

type Json = Record<string, { Value?: unknown[] }>;
const first = (ds: Json | undefined, tag: string) => ds?.[tag]?.Value?.[0];

const qido = async (path: string, auth = true) =>
  fetch(`${pacs.orthanc.dicomWebUrl}${path}`, {
    headers: { accept: "application/dicom+json", ...(auth ? { authorization: basicAuth(pacs.orthanc.auth) } : {}) },
  });

it("refuses requests without its password", async () => {
  expect((await qido("/studies", false)).status).toBe(401);
});

it("holds the three demo studies, found by QIDO-RS with their Chinese names", async () => {
  const res = await qido("/studies?includefield=00081030");
  expect(res.status).toBe(200);
  const studies = (await res.json()) as Json[];
  const byModality = Object.fromEntries(studies.map((s) => [String(first(s, "00080061")), s]));
  expect(Object.keys(byModality).sort()).toEqual(["CT", "DX", "US"]);
  expect(first(byModality.CT, "00100010")).toEqual({ Alphabetic: "Zhang^San", Ideographic: "张^三" });
  expect(first(byModality.CT, "00080005")).toBe("ISO_IR 192");
  expect(first(byModality.CT, "00201208")).toBe(6);
  expect(first(byModality.US, "00081030")).toBe("腹部彩超");
});

it("keeps the DR as JPEG baseline and the ultrasound as one multi-frame instance", async () => {
  const dx = await qido(`/studies/${pacs.demo.dx.studyUid}/instances?includefield=00020010`);
  const [dxInstance] = (await dx.json()) as Json[];
  expect(first(dxInstance, "00080016")).toBe("1.2.840.10008.5.1.4.1.1.1.1");
  const wado = await fetch(`${pacs.orthanc.dicomWebUrl}/studies/${pacs.demo.dx.studyUid}`, {
    headers: {
      accept: 'multipart/related; type="application/dicom"; transfer-syntax=*',
      authorization: basicAuth(pacs.orthanc.auth),
    },
  });
  expect(wado.status).toBe(200);
  expect(Buffer.from(await wado.arrayBuffer()).includes("1.2.840.10008.1.2.4.50")).toBe(true);
  const us = await qido(`/studies/${pacs.demo.us.studyUid}/metadata`);
  const [usMeta] = (await us.json()) as Json[];
  expect(first(usMeta, "00280008")).toBe(30);
});
