// DICOM files shown by series: a 200-slice CT is one card (its first slice's preview), not 200.
import type { UploadView } from "@yilian/client-sdk";

export interface Series {
  key: string;
  modality: string | null;
  items: UploadView[];
}

/** READY DICOM files grouped by series (a 200-slice CT is one card, not 200); everything else stays one card per file. */
export function groupSeries(items: UploadView[]): (UploadView | Series)[] {
  const out: (UploadView | Series)[] = [];
  const bySeries = new Map<string, Series>();
  for (const u of items) {
    const uid = u.status === "READY" ? u.dicom?.seriesInstanceUid : null;
    if (!uid) {
      out.push(u);
      continue;
    }
    let s = bySeries.get(uid);
    if (!s) {
      s = { key: uid, modality: u.dicom?.modality ?? null, items: [] };
      bySeries.set(uid, s);
      out.push(s);
    }
    s.items.push(u);
  }
  return out;
}
