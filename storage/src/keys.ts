// Where each object lives in the store. Server (original uploads, recording parts) and worker (previews,
// de-identified copies, composed recordings) write under the same layout, so it is written once here.

/** Uploads are spread over 256 prefixes by the first two characters of their id. */
export const originalKey = (uploadId: string) => `uploads/${uploadId.slice(0, 2)}/${uploadId}`;
export const previewKey = (uploadId: string) => `previews/${uploadId.slice(0, 2)}/${uploadId}.png`;
export const deidentifiedKey = (uploadId: string) => `deid/${uploadId.slice(0, 2)}/${uploadId}.dcm`;

export const recordingKey = (recordingId: string) => `recordings/${recordingId}/recording.mp4`;
export const posterKey = (recordingId: string) => `recordings/${recordingId}/poster.jpg`;
/**
 * One part per recorded track (numbered by the recorder), stored while it is written, in chunks of a few seconds
 * each (numbered from 0).
 */
export const recordingChunkKey = (recordingId: string, part: number, kind: string, chunk: number) =>
  `recordings/${recordingId}/parts/${String(part).padStart(3, "0")}-${kind}/${String(chunk).padStart(5, "0")}.mkv`;
