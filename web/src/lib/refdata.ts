// Reference data fetched once per page load (specialty names for codes).
import type { Specialty } from "@yilian/client-sdk";
import { api } from "./api";
import { useAsync } from "./useAsync";

let specialties: Promise<Specialty[]> | null = null;
export function loadSpecialties(): Promise<Specialty[]> {
  specialties ??= api.specialties().catch((e) => {
    specialties = null;
    throw e;
  });
  return specialties;
}

export function useSpecialties() {
  const r = useAsync(loadSpecialties, []);
  const byCode = new Map((r.data ?? []).map((s) => [s.code, s.name]));
  return {
    list: r.data ?? [],
    name: (code: string | null | undefined) => (code ? (byCode.get(code) ?? code) : "—"),
    loading: r.loading,
    error: r.error,
  };
}
