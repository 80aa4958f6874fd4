import { rankTargets, type TargetSuggestion } from "./routing";

const t = (name: string, o: Partial<TargetSuggestion>): TargetSuggestion => ({
  institution: { id: name, name, tier: "CITY" },
  link: "TELEMEDICINE_NETWORK",
  linkLabel: "",
  consortiumId: null,
  specialtyMatch: true,
  departmentId: null,
  nextSlot: null,
  openLoad: 0,
  ...o,
});

it("ranks matching specialty first, then soonest availability, then load, then the nearest link", () => {
  const ranked = rankTargets([
    t("no-specialty", { specialtyMatch: false, nextSlot: "2030-01-01T00:00:00Z" }),
    t("later", { nextSlot: "2030-01-03T00:00:00Z" }),
    t("sooner", { nextSlot: "2030-01-02T00:00:00Z", openLoad: 9 }),
    t("no-slot-busy", { openLoad: 5 }),
    t("no-slot-county", { openLoad: 1, link: "COUNTY_MEDICAL_COMMUNITY" }),
    t("no-slot-network", { openLoad: 1 }),
  ]);
  expect(ranked.map((r) => r.institution.name)).toEqual(["sooner", "later", "no-slot-county", "no-slot-network", "no-slot-busy", "no-specialty"]);
});
