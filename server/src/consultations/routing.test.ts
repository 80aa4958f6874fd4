import type { TargetSuggestion } from "@yilian/contract";
import { rankTargets } from "./routing";

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
const names = (list: TargetSuggestion[]) => rankTargets(list).map((r) => r.institution.name);

it("ranks the specialty first, then the consortium link, then the soonest availability, then load", () => {
  expect(
    names([
      t("no-specialty-county", {
        specialtyMatch: false,
        link: "COUNTY_MEDICAL_COMMUNITY",
        nextSlot: "2030-01-01T00:00:00Z",
      }),
      t("network-later", { nextSlot: "2030-01-03T00:00:00Z" }),
      t("network-sooner", { nextSlot: "2030-01-02T00:00:00Z", openLoad: 9 }),
      t("network-no-slot-busy", { openLoad: 5 }),
      t("network-no-slot", { openLoad: 1 }),
      t("group-no-slot", { openLoad: 30, link: "CITY_MEDICAL_GROUP" }),
      t("county-no-slot", { openLoad: 40, link: "COUNTY_MEDICAL_COMMUNITY" }),
    ]),
  ).toEqual([
    "county-no-slot",
    "group-no-slot",
    "network-sooner",
    "network-later",
    "network-no-slot",
    "network-no-slot-busy",
    "no-specialty-county",
  ]);
});

it("keeps the consortium link first when nobody has slots (load does not overtake it)", () => {
  const province = Array.from({ length: 14 }, (_, i) => t(`province-${i}`, { openLoad: i }));
  const lead = t("own-medical-group-lead", { link: "CITY_MEDICAL_GROUP", openLoad: 50 });
  expect(names([...province, lead])[0]).toBe("own-medical-group-lead");
});
