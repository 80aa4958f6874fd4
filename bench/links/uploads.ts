// Upload half of `npm run bench -- links` (upload_resume_resent_pct, upload_mb_per_s): owned by the resumable
// uploads work (tus). This placeholder has its exact signature and emits nothing until that module lands.
export default async function runUploadLinks(): Promise<void> {}
