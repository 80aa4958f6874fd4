// Where each kind of object lives in storage. Keys carry the owning row's id, so the worker's sweep can tell
// orphans (no live row owns them) from objects in use.
export const originalKey = (id: string) => `uploads/${id.slice(0, 2)}/${id}`;
export const previewKey = (id: string) => `previews/${id.slice(0, 2)}/${id}.png`;
export const deidentifiedKey = (id: string) => `deid/${id.slice(0, 2)}/${id}.dcm`;
export const recordingKey = (id: string) => `recordings/${id}/recording.mp4`;
export const posterKey = (id: string) => `recordings/${id}/poster.jpg`;
/** One producer's track of a recording, in the order recorded (i from 0). */
export const recordingPartKey = (id: string, i: number, kind: "audio" | "video") => `recordings/${id}/parts/${String(i + 1).padStart(3, "0")}-${kind}.mkv`;
