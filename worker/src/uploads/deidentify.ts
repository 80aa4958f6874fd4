// DICOM PS3.15 Annex E basic application level confidentiality profile — the one de-identification of Yilian:
// uploads' copies for readers outside the requesting institution, and DICOMweb answers to them.
//
// Options applied (PS3.15 E.3): Retain Patient Characteristics (sex, age, size, weight: the specialist needs them),
// Retain Longitudinal Temporal Information with Full Dates (dates of prior studies matter clinically) and Retain
// UIDs (studies stay consistent across copies and the viewer). Not applied: Clean Pixel Data (burned-in text is
// the modality's; uploads record BurnedInAnnotation as sent), Clean Descriptors, Clean Structured Content.
//
// The file is rewritten element by element: private attributes, curves (50xx), overlays (60xx) and the profile's
// X attributes are removed; its Z attributes (type 2: patient name, ID, birth date, …) are kept empty; identifying
// attributes nested in retained sequences are blanked in place; Patient Identity Removed (0012,0062) = YES,
// De-identification Method (0012,0063) and its Code Sequence (0012,0064) are added. Pixel data is copied as is.
import type { DataSet, Element } from "dicom-parser";

/** Attributes the basic profile removes (X) or empties (Z; marked in ZERO_LENGTH). */
export const BASIC_PROFILE_TAGS: Record<string, string> = {
  x00080050: "AccessionNumber",
  x00080080: "InstitutionName",
  x00080081: "InstitutionAddress",
  x00080090: "ReferringPhysicianName",
  x00080092: "ReferringPhysicianAddress",
  x00080094: "ReferringPhysicianTelephoneNumbers",
  x00080096: "ReferringPhysicianIdentificationSequence",
  x00081010: "StationName",
  x00081030: "StudyDescription",
  x0008103e: "SeriesDescription",
  x00081040: "InstitutionalDepartmentName",
  x00081048: "PhysiciansOfRecord",
  x00081049: "PhysiciansOfRecordIdentificationSequence",
  x00081050: "PerformingPhysicianName",
  x00081052: "PerformingPhysicianIdentificationSequence",
  x00081060: "NameOfPhysiciansReadingStudy",
  x00081062: "PhysiciansReadingStudyIdentificationSequence",
  x00081070: "OperatorsName",
  x00081072: "OperatorIdentificationSequence",
  x00081080: "AdmittingDiagnosesDescription",
  x00082111: "DerivationDescription",
  x00084000: "IdentifyingComments",
  x00100010: "PatientName",
  x00100020: "PatientID",
  x00100021: "IssuerOfPatientID",
  x00100030: "PatientBirthDate",
  x00100032: "PatientBirthTime",
  x00100050: "PatientInsurancePlanCodeSequence",
  x00101000: "OtherPatientIDs",
  x00101001: "OtherPatientNames",
  x00101002: "OtherPatientIDsSequence",
  x00101005: "PatientBirthName",
  x00101040: "PatientAddress",
  x00101060: "PatientMotherBirthName",
  x00101080: "MilitaryRank",
  x00101081: "BranchOfService",
  x00101090: "MedicalRecordLocator",
  x00102000: "MedicalAlerts",
  x00102110: "Allergies",
  x00102150: "CountryOfResidence",
  x00102152: "RegionOfResidence",
  x00102154: "PatientTelephoneNumbers",
  x00102160: "EthnicGroup",
  x00102180: "Occupation",
  x001021b0: "AdditionalPatientHistory",
  x001021f0: "PatientReligiousPreference",
  x00104000: "PatientComments",
  x00181000: "DeviceSerialNumber",
  x00181030: "ProtocolName",
  x00184000: "AcquisitionComments",
  x00200010: "StudyID",
  x00204000: "ImageComments",
  x00321032: "RequestingPhysician",
  x00321060: "RequestedProcedureDescription",
  x00324000: "StudyComments",
  x00380010: "AdmissionID",
  x00380300: "CurrentPatientLocation",
  x00380400: "PatientInstitutionResidence",
  x00380500: "PatientState",
  x00400006: "ScheduledPerformingPhysicianName",
  x00400253: "PerformedProcedureStepID",
  x00400254: "PerformedProcedureStepDescription",
  x00400275: "RequestAttributesSequence",
  x00401001: "RequestedProcedureID",
  x00402400: "ImagingServiceRequestComments",
  x0040a123: "PersonName",
  x0040a730: "ContentSequence",
  x40080114: "PhysicianApprovingInterpretation",
};

/** Type 2 attributes the profile keeps present but empty (Z). */
const ZERO_LENGTH = new Set(["x00080050", "x00080090", "x00100010", "x00100020", "x00100030", "x00200010"]);

/** De-identification Method Code Sequence (0012,0064): the profile and each option, DCM codes of CID 7050. */
export const DEIDENTIFICATION_CODES = [
  ["113100", "Basic Application Confidentiality Profile"],
  ["113108", "Retain Patient Characteristics Option"],
  ["113106", "Retain Longitudinal Temporal Information Full Dates Option"],
  ["113110", "Retain UIDs Option"],
] as const;
export const DEIDENTIFICATION_METHOD = "PS3.15 E.1 Basic Profile\\Retain Patient Chars\\Retain Full Dates\\Retain UIDs";

const LONG_LENGTH_VRS = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]);
const BINARY_VRS = new Set([
  "OB",
  "OW",
  "OF",
  "OD",
  "OL",
  "OV",
  "UN",
  "US",
  "SS",
  "UL",
  "SL",
  "FL",
  "FD",
  "AT",
  "UV",
  "SV",
]);
const TS_IMPLICIT_LE = "1.2.840.10008.1.2";
const TS_EXPLICIT_BE = "1.2.840.10008.1.2.2";

const groupOf = (tag: string) => parseInt(tag.slice(1, 5), 16);
const isPrivate = (tag: string) => groupOf(tag) % 2 === 1;
/** Curves (50xx, retired) and overlays (60xx: overlay data and comments may carry text). */
const isCurveOrOverlay = (tag: string) => (groupOf(tag) & 0xff00) === 0x5000 || (groupOf(tag) & 0xff00) === 0x6000;

/** Blanks identifying attributes nested in a retained sequence, in place (same length: structure unchanged). */
function blankNested(out: Buffer, el: Element): string[] {
  const cleared: string[] = [];
  for (const item of el.items ?? []) {
    for (const [tag, child] of Object.entries(item.dataSet?.elements ?? {})) {
      if (child.items) cleared.push(...blankNested(out, child));
      else if ((BASIC_PROFILE_TAGS[tag] || isPrivate(tag)) && child.length > 0 && child.length !== 0xffffffff) {
        const binary = child.vr ? BINARY_VRS.has(child.vr) : isPrivate(tag);
        out.fill(binary ? 0 : 0x20, child.dataOffset, child.dataOffset + child.length);
        cleared.push(BASIC_PROFILE_TAGS[tag] ?? `private(${tag.slice(1, 5)},${tag.slice(5)})`);
      }
    }
  }
  return cleared;
}

class Encoder {
  constructor(
    private readonly explicit: boolean,
    private readonly littleEndian: boolean,
  ) {}

  element(tag: number, vr: string, value: Buffer): Buffer {
    const long = LONG_LENGTH_VRS.has(vr);
    const header = Buffer.alloc(this.explicit ? (long ? 12 : 8) : 8);
    this.u16(header, 0, tag >>> 16);
    this.u16(header, 2, tag & 0xffff);
    if (!this.explicit) this.u32(header, 4, value.length);
    else {
      header.write(vr, 4, "latin1");
      if (long) this.u32(header, 8, value.length);
      else this.u16(header, 6, value.length);
    }
    return Buffer.concat([header, value]);
  }

  text(tag: number, vr: string, s: string): Buffer {
    return this.element(tag, vr, Buffer.from(s.length % 2 ? `${s} ` : s, "latin1"));
  }

  /** A sequence of defined length whose items have defined lengths. */
  sequence(tag: number, items: Buffer[]): Buffer {
    const encoded = items.map((content) => {
      const h = Buffer.alloc(8);
      this.u16(h, 0, 0xfffe);
      this.u16(h, 2, 0xe000);
      this.u32(h, 4, content.length);
      return Buffer.concat([h, content]);
    });
    return this.element(tag, "SQ", Buffer.concat(encoded));
  }

  private u16(b: Buffer, at: number, v: number) {
    if (this.littleEndian) b.writeUInt16LE(v, at);
    else b.writeUInt16BE(v, at);
  }

  private u32(b: Buffer, at: number, v: number) {
    if (this.littleEndian) b.writeUInt32LE(v, at);
    else b.writeUInt32BE(v, at);
  }
}

/**
 * A de-identified copy of a parsed DICOM file (Part 10, explicit or implicit VR) and the names of the attributes
 * removed or emptied. The file meta information (group 0002) is kept; UIDs are retained (Retain UIDs option).
 */
export function deidentify(bytes: Uint8Array, ds: DataSet): { file: Buffer; cleared: string[] } {
  // Nested blanking writes into the bytes: copy them first then (only then: the pixel data is most of the file).
  const nested = Object.values(ds.elements).some((e) => e.items?.length);
  const src = nested ? Buffer.from(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ts = ds.string("x00020010")?.trim() ?? TS_IMPLICIT_LE;
  const explicit = ts !== TS_IMPLICIT_LE;
  const enc = new Encoder(explicit, ts !== TS_EXPLICIT_BE);
  const metaEnd = Math.max(
    132,
    ...Object.entries(ds.elements)
      .filter(([t]) => groupOf(t) === 0x0002)
      .map(([, e]) => e.dataOffset + e.length),
  );
  const parts: Buffer[] = [src.subarray(0, metaEnd)];
  const cleared: string[] = [];
  const marker = [
    enc.text(0x00120062, "CS", "YES"),
    enc.text(0x00120063, "LO", DEIDENTIFICATION_METHOD),
    enc.sequence(
      0x00120064,
      DEIDENTIFICATION_CODES.map(([code, meaning]) =>
        Buffer.concat([
          enc.text(0x00080100, "SH", code),
          enc.text(0x00080102, "SH", "DCM"),
          enc.text(0x00080104, "LO", meaning),
        ]),
      ),
    ),
  ];
  let markerWritten = false;
  const tags = Object.keys(ds.elements)
    .filter((t) => groupOf(t) !== 0x0002)
    .sort();
  for (const tag of tags) {
    const el = ds.elements[tag]!;
    if (!markerWritten && tag > "x00120064") {
      parts.push(...marker);
      markerWritten = true;
    }
    const name = BASIC_PROFILE_TAGS[tag];
    if (groupOf(tag) === 0x0012 && tag >= "x00120062" && tag <= "x00120064") continue; // replaced by ours
    if (isPrivate(tag) || isCurveOrOverlay(tag)) {
      cleared.push(
        isPrivate(tag) ? `private(${tag.slice(1, 5)},${tag.slice(5)})` : `(${tag.slice(1, 5)},${tag.slice(5)})`,
      );
      continue;
    }
    if (name && ZERO_LENGTH.has(tag)) {
      parts.push(enc.element(parseInt(tag.slice(1), 16), el.vr ?? "UN", Buffer.alloc(0)));
      if (el.length > 0) cleared.push(name);
      continue;
    }
    if (name) {
      cleared.push(name);
      continue;
    }
    if (el.items) cleared.push(...blankNested(src, el));
    const headerLength = !explicit ? 8 : LONG_LENGTH_VRS.has(el.vr ?? "") ? 12 : 8;
    parts.push(src.subarray(el.dataOffset - headerLength, el.dataOffset + el.length));
  }
  if (!markerWritten) parts.push(...marker);
  return { file: Buffer.concat(parts), cleared };
}
