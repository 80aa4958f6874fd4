// The REST half of the SDK: one client = one session (login, rotating refresh) + one method per public endpoint,
// grouped by domain in this folder on the shared core. Request and answer types are the contract's schemas.
import { createRestCore, type RestClientOptions } from "./core";
import { consultationsApi } from "./consultations";
import { networkApi, usersApi } from "./network";
import { recordingsApi } from "./recordings";
import { referralsApi } from "./referrals";
import { schedulingApi } from "./scheduling";
import { statisticsApi } from "./statistics";
import { trainingApi } from "./training";
import { uploadsApi } from "./uploads";
import { pacsApi } from "./pacs";

export {
  memoryTokenStore,
  type DownloadedFile,
  type RestClientOptions,
  type StoredSession,
  type TokenStore,
} from "./core";
export type { ConsultationBox, FhirBundle } from "./consultations";
export { RESUMABLE_FROM_BYTES, type UploadOptions } from "./resumable";
export type { PacsSearch } from "./pacs";

export type RestClient = ReturnType<typeof createRestClient>;

/**
 *   const rest = createRestClient({ baseUrl: "https://yilian.example-hospital.cn" });
 *   await rest.login("doctor.hadashan", password);
 *   const draft = await rest.createConsultation({ patient, specialtyCode: "CARDIOLOGY", ... });
 */
export function createRestClient(opts: RestClientOptions = {}) {
  const core = createRestCore(opts);
  return {
    baseUrl: core.baseUrl,
    store: core.store,
    /** Any endpoint by path (JSON), for what has no method yet. */
    request: core.request,
    download: core.download,
    /** A valid access token (refreshed when close to expiry), e.g. for createClient({ session }). */
    accessToken: core.accessToken,
    login: core.login,
    logout: core.logout,
    currentUser: core.currentUser,
    ...networkApi(core),
    ...usersApi(core),
    ...consultationsApi(core),
    ...schedulingApi(core),
    ...referralsApi(core),
    ...uploadsApi(core),
    ...pacsApi(core),
    ...trainingApi(core),
    ...recordingsApi(core),
    ...statisticsApi(core),
  };
}
