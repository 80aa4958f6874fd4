// The province generator: fills out Jilin's network to the published scale (reference-figures.json) around the
// named network (named.ts). Deterministic: every choice comes from a seeded stream (rng.ts), so the same code
// always yields the same 1,047 institutions, consortia and names.
//
// Shape of what it builds, tier by tier:
//   PROVINCE  the named provincial hospitals + a few generated ones (in 长春市);
//   CITY      per city a central/people's hospital, TCM hospital, maternal-child health hospital, ...;
//   COUNTY    per county-level division its 人民医院 and 中医院 (+ 妇幼保健院 in counties and county-level cities);
//   TOWNSHIP  township health centres (乡镇卫生院), community health centres and stations, village clinics.
// Consortia: 83 county medical communities (each county's 人民医院 leads one; 23 counties have a second, led by
// the 中医院), city medical groups, government-hospital cooperations, external guidance pairs and specialty
// alliances, to the published counts.
import type { InstitutionKind, Tier } from "@prisma/client";
import figures from "../data/jilin/reference-figures.json";
import { addDepartments } from "./departments";
import { DEMO_TOWNSHIP_CENTRE } from "./demo-accounts";
import { consortiumCodePrefix, nextConsortiumCode } from "./named";
import { PlaceNamer } from "./names";
import type { ConsortiumRow, InstitutionRow, RegionRow, SeedPlan } from "./plan";
import { countyShortName, JILIN_CITIES, type CityDef, type CountyDef } from "./regions";
import { apportion, rng } from "./rng";
import { departmentNameOf, specialty, SPECIALTIES } from "./specialties";

/** The published figures the generator must hit exactly. */
export const TARGETS = {
  institutions: figures.platform.institutionsLinked, // 1047
  countyCommunities: figures.consortiumCounts.COUNTY_MEDICAL_COMMUNITY, // 83
  townshipCentresCovered: figures.countyCommunitiesCover.townshipHealthCentres, // 610
  communityCentresCovered: figures.countyCommunitiesCover.communityHealthCentres, // 100
  cityGroups: figures.consortiumCounts.CITY_MEDICAL_GROUP, // 22
  govCooperations: figures.consortiumCounts.GOV_HOSPITAL_COOPERATION, // 8
  externalGuidance: figures.consortiumCounts.EXTERNAL_GUIDANCE, // 20
  provincialAlliances: figures.consortiumCounts.SPECIALTY_ALLIANCE_PROVINCIAL, // 30
  hospitalAlliances: figures.consortiumCounts.SPECIALTY_ALLIANCE_PROVINCE_MANAGED_HOSPITAL, // 53
  telemedicineNetworks: figures.consortiumCounts.TELEMEDICINE_NETWORK, // 1
} as const;

/** Generated province-tier hospitals (all in 长春市), besides the named ones. */
const PROVINCE_HOSPITALS: ReadonlyArray<[string, InstitutionKind]> = [
  ["吉林省第二人民医院", "GENERAL_HOSPITAL"],
  ["吉林省中医院", "TCM_HOSPITAL"],
  ["吉林省肿瘤医院", "SPECIALTY_HOSPITAL"],
  ["吉林省妇幼保健院", "MATERNAL_CHILD_HEALTH"],
  ["吉林省康复医院", "REHABILITATION_HOSPITAL"],
];

/** City-tier hospitals, in the order a city gets them (name suffix after the city's short name). */
const CITY_HOSPITALS: ReadonlyArray<[string, InstitutionKind]> = [
  ["中心医院", "GENERAL_HOSPITAL"],
  ["人民医院", "GENERAL_HOSPITAL"],
  ["中医院", "TCM_HOSPITAL"],
  ["妇幼保健院", "MATERNAL_CHILD_HEALTH"],
  ["第二人民医院", "GENERAL_HOSPITAL"],
  ["传染病医院", "SPECIALTY_HOSPITAL"],
  ["儿童医院", "SPECIALTY_HOSPITAL"],
  ["肿瘤医院", "SPECIALTY_HOSPITAL"],
];
/** How many city-tier hospitals each city has in total (named ones included). */
const CITY_HOSPITAL_COUNT: Record<string, number> = { changchun: 8, jilin: 6 };
const DEFAULT_CITY_HOSPITAL_COUNT = 5;

/** How many generated city medical groups each city gets (named ones come on top); sums to 22 - 1 named. */
const CITY_GROUP_WEIGHT: Record<string, number> = { changchun: 4, jilin: 3 };
const DEFAULT_CITY_GROUPS = 2;

/**
 * Government-hospital cooperations (府院合作): a city government with a provincial hospital. 长春市 hosts the
 * provincial hospitals, so the eight are the other eight cities.
 */
const GOV_COOPERATION_LEADS: Record<string, string> = {
  jilin: "吉林大学第一医院",
  siping: "吉林大学第二医院",
  liaoyuan: "吉林大学中日联谊医院",
  tonghua: "吉林大学第一医院梅河医院",
  baishan: "长春中医药大学附属医院白山医院",
  songyuan: "吉林省人民医院",
  baicheng: "吉林大学第二医院",
  yanbian: "延边大学附属医院",
};

/** Share of the grassroots remainder that are community health stations (the rest are village clinics). */
const STATION_SHARE = 0.35;

/** What the generator made for one county-level division. */
interface County {
  def: CountyDef;
  city: City;
  region: RegionRow;
  short: string;
  names: PlaceNamer;
  hospitals: InstitutionRow[]; // county tier: 人民医院, 中医院, 妇幼保健院
  communities: ConsortiumRow[];
  townshipCentres: InstitutionRow[];
  communityCentres: InstitutionRow[];
  stations: InstitutionRow[];
  villageClinics: InstitutionRow[];
}

interface City {
  def: CityDef;
  region: RegionRow;
  hospitals: InstitutionRow[]; // city tier, named ones first
  counties: County[];
}

export interface ProvinceSummary {
  cities: number;
  counties: number;
  generatedInstitutions: number;
}

export function generateProvince(plan: SeedPlan): ProvinceSummary {
  const before = plan.institutions.length;
  addProvinceHospitals(plan);
  const cities = JILIN_CITIES.map((def) => addCityHospitals(plan, def));
  const counties = cities.flatMap((c) => c.counties);
  for (const c of counties) addCountyHospitals(plan, c);

  addCountyCommunities(plan, counties);
  addTownshipCentres(plan, counties);
  addCommunityCentres(plan, counties);
  addStationsAndVillageClinics(plan, counties);

  // Departments before the alliances: an alliance is led by a department the hospital has.
  const deptRng = rng("departments");
  for (const i of plan.institutions) addDepartments(plan, i, deptRng);

  addCityGroups(plan, cities);
  addGovCooperations(plan, cities);
  addExternalGuidance(plan);
  addSpecialtyAlliances(plan);
  assignNetworkParents(plan, cities);

  return { cities: cities.length, counties: counties.length, generatedInstitutions: plan.institutions.length - before };
}

// ------------------------------------------------------------------------------------------------ institutions

/** Adds an institution, or returns the named one of that name (蛟河市人民医院 is both named and a county lead). */
function institution(
  plan: SeedPlan,
  name: string,
  tier: Tier,
  kind: InstitutionKind,
  city: RegionRow,
  county: RegionRow | null,
): InstitutionRow {
  if (plan.hasInstitution(name)) {
    const existing = plan.institution(name);
    if (existing.tier !== tier) throw new Error(`${name} exists with tier ${existing.tier}, generator wants ${tier}`);
    return existing;
  }
  return plan.addInstitution({ name, tier, kind, city, county });
}

function addProvinceHospitals(plan: SeedPlan): void {
  const changchun = plan.region("changchun");
  for (const [name, kind] of PROVINCE_HOSPITALS) institution(plan, name, "PROVINCE", kind, changchun, null);
}

function addCityHospitals(plan: SeedPlan, def: CityDef): City {
  const region = plan.region(def.code);
  const inCity = () => plan.institutions.filter((i) => i.tier === "CITY" && i.cityId === region.id);
  const want = CITY_HOSPITAL_COUNT[def.code] ?? DEFAULT_CITY_HOSPITAL_COUNT;
  for (const [suffix, kind] of CITY_HOSPITALS) {
    if (inCity().length >= want) break;
    const name = def.short + suffix;
    if (!plan.hasInstitution(name)) institution(plan, name, "CITY", kind, region, null);
  }
  const city: City = { def, region, hospitals: inCity(), counties: [] };
  city.counties = def.counties.map((k) => ({
    def: k,
    city,
    region: plan.region(k.code),
    short: countyShortName(k.name),
    names: new PlaceNamer(k.code),
    hospitals: [],
    communities: [],
    townshipCentres: [],
    communityCentres: [],
    stations: [],
    villageClinics: [],
  }));
  return city;
}

function addCountyHospitals(plan: SeedPlan, c: County): void {
  if (c.def.settlement === "NEW_AREA") return; // only what the documents name (吉林大学第一医院梅河医院)
  const add = (suffix: string, kind: InstitutionKind) =>
    c.hospitals.push(institution(plan, c.short + suffix, "COUNTY", kind, c.city.region, c.region));
  add("人民医院", "GENERAL_HOSPITAL");
  add("中医院", "TCM_HOSPITAL");
  // Districts share the city's maternal-child hospital; counties and county-level cities have their own.
  if (c.def.settlement === "RURAL") add("妇幼保健院", "MATERNAL_CHILD_HEALTH");
}

/**
 * County medical communities (县域医共体): every county-level division has one led by its 人民医院; the rest
 * of the 83 are second communities led by the 中医院 of randomly chosen rural counties.
 */
function addCountyCommunities(plan: SeedPlan, counties: County[]): void {
  const withHospitals = counties.filter((c) => c.hospitals.length > 0);
  const second = TARGETS.countyCommunities - withHospitals.length;
  const rural = withHospitals.filter((c) => c.def.settlement === "RURAL");
  if (second < 0 || second > rural.length)
    throw new Error(`cannot make ${TARGETS.countyCommunities} county communities`);
  const twoCommunities = new Set(rng("communities").sample(rural, second));

  const prefix = consortiumCodePrefix("COUNTY_MEDICAL_COMMUNITY");
  for (const c of withHospitals) {
    const leads = twoCommunities.has(c) ? c.hospitals.slice(0, 2) : c.hospitals.slice(0, 1);
    for (const lead of leads) {
      c.communities.push(
        plan.addConsortium({
          code: nextConsortiumCode(plan, prefix),
          name: `${lead.name}医共体`,
          type: "COUNTY_MEDICAL_COMMUNITY",
          lead,
        }),
      );
    }
    // The county's other hospitals join the first community.
    for (const h of c.hospitals) if (!leads.includes(h)) plan.addMember(c.communities[0]!, h);
  }
}

/** i-th grassroots institution of a county joins one of its communities in turn. */
function joinCommunity(plan: SeedPlan, c: County, i: InstitutionRow, index: number): void {
  if (c.communities.length === 0) throw new Error(`${c.def.name} has no county medical community for ${i.name}`);
  plan.addMember(c.communities[index % c.communities.length]!, i);
}

/** The 610 township health centres, spread over rural counties (most) and suburban districts (a few). */
function addTownshipCentres(plan: SeedPlan, counties: County[]): void {
  const r = rng("township-centres");
  const weight = (c: County) =>
    c.def.settlement === "RURAL" ? 0.75 + 0.5 * r.next() : c.def.settlement === "SUBURBAN" ? 0.45 : 0;
  const counts = apportion(TARGETS.townshipCentresCovered, counties.map(weight));
  counties.forEach((c, k) => {
    for (let n = 0; n < counts[k]!; n++) {
      let name: string;
      if (c.def.code === "nongan" && n === 0) {
        name = DEMO_TOWNSHIP_CENTRE; // pinned for the demo accounts
        c.names.reserve(name.slice(c.short.length, -"镇卫生院".length));
      } else {
        const level = r.chance(0.75) ? "镇" : "乡";
        name = `${c.short}${c.names.town()}${level}${r.chance(0.12) ? "中心" : ""}卫生院`;
      }
      const i = institution(plan, name, "TOWNSHIP", "TOWNSHIP_HEALTH_CENTRE", c.city.region, c.region);
      c.townshipCentres.push(i);
      joinCommunity(plan, c, i, n);
    }
  });
}

/** The 100 community health centres: several per urban district, one or two in suburban districts and county seats. */
function addCommunityCentres(plan: SeedPlan, counties: County[]): void {
  const eligible = counties.filter((c) => c.communities.length > 0);
  const weight = (c: County) => ({ URBAN: 4, SUBURBAN: 2, RURAL: 1, NEW_AREA: 0 })[c.def.settlement];
  const counts = apportion(TARGETS.communityCentresCovered, eligible.map(weight));
  eligible.forEach((c, k) => {
    const district = c.def.settlement !== "RURAL";
    for (let n = 0; n < counts[k]!; n++) {
      const name = `${c.short}${c.names.street()}${district ? "街道" : ""}社区卫生服务中心`;
      const i = institution(plan, name, "TOWNSHIP", "COMMUNITY_HEALTH_CENTRE", c.city.region, c.region);
      c.communityCentres.push(i);
      joinCommunity(plan, c, i, n);
    }
  });
}

/**
 * Whatever is left up to the published 1,047 institutions: community health stations in the districts (members
 * of their district's county community and of a city medical group) and village clinics in the counties (members
 * of their county communities).
 */
function addStationsAndVillageClinics(plan: SeedPlan, counties: County[]): void {
  const left = TARGETS.institutions - plan.institutions.length;
  if (left < 0) throw new Error(`already ${plan.institutions.length} institutions, more than ${TARGETS.institutions}`);
  const stations = Math.round(left * STATION_SHARE);
  const r = rng("grassroots");

  const districts = counties.filter((c) => c.def.settlement === "URBAN" || c.def.settlement === "SUBURBAN");
  for (let n = 0; n < stations; n++) {
    const c = districts[n % districts.length]!;
    const name = `${c.short}${c.names.street()}社区卫生服务站`;
    const i = institution(plan, name, "TOWNSHIP", "COMMUNITY_HEALTH_STATION", c.city.region, c.region);
    c.stations.push(i);
    joinCommunity(plan, c, i, c.stations.length - 1);
  }
  const rural = r.shuffle(counties.filter((c) => c.def.settlement === "RURAL"));
  for (let n = 0; n < left - stations; n++) {
    const c = rural[n % rural.length]!;
    const name = `${c.short}${c.names.village()}村卫生室`;
    const i = institution(plan, name, "TOWNSHIP", "VILLAGE_CLINIC", c.city.region, c.region);
    c.villageClinics.push(i);
    joinCommunity(plan, c, i, c.villageClinics.length - 1);
  }
}

// ------------------------------------------------------------------------------------------------ consortia

/**
 * City medical groups (城市医疗集团), led by city-tier hospitals. Each district of the city joins one group
 * with its hospitals, community centres and stations; each county's 人民医院 joins one too (the link between the
 * city group and the county community); the city's other city-tier hospitals are shared out.
 */
function addCityGroups(plan: SeedPlan, cities: City[]): void {
  const named = plan.consortia.filter((c) => c.type === "CITY_MEDICAL_GROUP").length;
  const weights = cities.map((c) => CITY_GROUP_WEIGHT[c.def.code] ?? DEFAULT_CITY_GROUPS);
  if (weights.reduce((a, b) => a + b, 0) !== TARGETS.cityGroups - named) {
    throw new Error(`city group weights must sum to ${TARGETS.cityGroups - named}`);
  }
  const prefix = consortiumCodePrefix("CITY_MEDICAL_GROUP");
  const leadsAGroup = new Set(
    plan.consortia.filter((c) => c.type === "CITY_MEDICAL_GROUP").map((c) => c.leadInstitutionId),
  );

  cities.forEach((city, k) => {
    const candidates = [
      ...city.hospitals.filter((h) => h.kind === "GENERAL_HOSPITAL"),
      ...city.hospitals.filter((h) => h.kind === "TCM_HOSPITAL"),
    ].filter((h) => !leadsAGroup.has(h.id));
    const leads = candidates.slice(0, weights[k]);
    if (leads.length < weights[k]!)
      throw new Error(`${city.def.name}: not enough city hospitals to lead ${weights[k]} groups`);
    const groups = leads.map((lead) =>
      plan.addConsortium({
        code: nextConsortiumCode(plan, prefix),
        name: `${lead.name}城市医疗集团`,
        type: "CITY_MEDICAL_GROUP",
        lead,
      }),
    );
    const others = city.hospitals.filter((h) => !leads.includes(h) && !leadsAGroup.has(h.id));
    others.forEach((h, n) => plan.addMember(groups[n % groups.length]!, h));

    let d = 0;
    let r = 0;
    for (const c of city.counties) {
      if (c.def.settlement === "URBAN" || c.def.settlement === "SUBURBAN") {
        const g = groups[d++ % groups.length]!;
        for (const i of [...c.hospitals, ...c.communityCentres, ...c.stations]) plan.addMember(g, i);
      } else if (c.def.settlement === "RURAL") {
        plan.addMember(groups[r++ % groups.length]!, c.hospitals[0]!);
      }
    }
  });
}

function addGovCooperations(plan: SeedPlan, cities: City[]): void {
  const prefix = consortiumCodePrefix("GOV_HOSPITAL_COOPERATION");
  for (const city of cities) {
    const leadName = GOV_COOPERATION_LEADS[city.def.code];
    if (!leadName) continue;
    const lead = plan.institution(leadName);
    const row = plan.addConsortium({
      code: nextConsortiumCode(plan, prefix),
      name: `${city.def.name}人民政府与${lead.name}府院合作`,
      type: "GOV_HOSPITAL_COOPERATION",
      lead,
    });
    for (const h of city.hospitals) plan.addMember(row, h);
  }
}

/**
 * External guidance (外部协作指导): a provincial hospital guides one city group or county community lead
 * hospital. The named pairs stay; generated pairs take leads in turn and targets not yet guided.
 */
function addExternalGuidance(plan: SeedPlan): void {
  const existing = plan.consortia.filter((c) => c.type === "EXTERNAL_GUIDANCE");
  const need = TARGETS.externalGuidance - existing.length;
  const guided = new Set(
    plan.members
      .filter((m) => m.role === "MEMBER" && existing.some((c) => c.id === m.consortiumId))
      .map((m) => m.institutionId),
  );
  const leads = plan.institutions.filter((i) => i.tier === "PROVINCE" && i.kind === "GENERAL_HOSPITAL");
  const groupOrCommunityLeads = plan.consortia
    .filter((c) => c.type === "CITY_MEDICAL_GROUP" || c.type === "COUNTY_MEDICAL_COMMUNITY")
    .map((c) => plan.institutionWithId(c.leadInstitutionId!))
    .filter((i, k, all) => all.indexOf(i) === k && !guided.has(i.id));
  const targets = rng("external-guidance").sample(groupOrCommunityLeads, need);
  if (targets.length < need) throw new Error("not enough hospitals to guide");
  const prefix = consortiumCodePrefix("EXTERNAL_GUIDANCE");
  targets.forEach((target, n) => {
    const lead = leads[n % leads.length]!;
    const row = plan.addConsortium({
      code: nextConsortiumCode(plan, prefix),
      name: `${lead.name}协作指导${target.name}`,
      type: "EXTERNAL_GUIDANCE",
      lead,
    });
    plan.addMember(row, target);
  });
}

/**
 * Specialty alliances (专科联盟), to 30 provincial + 53 province-managed-hospital ones. Provincial alliances are
 * named after the province and led by a provincial (sometimes a city) hospital; hospital-level ones are named
 * after their provincial lead hospital. Each has a lead department and a few city and county member hospitals
 * that practise the specialty.
 */
function addSpecialtyAlliances(plan: SeedPlan): void {
  const r = rng("alliances");
  const alliances = () => plan.consortia.filter((c) => c.type === "SPECIALTY_ALLIANCE");
  const province = plan.institutions.filter((i) => i.tier === "PROVINCE");
  const cityGeneral = plan.institutions.filter((i) => i.tier === "CITY" && i.kind === "GENERAL_HOSPITAL");
  const membersFor = (code: string, lead: InstitutionRow, n: number) =>
    r.sample(
      plan.institutions.filter(
        (i) => (i.tier === "CITY" || i.tier === "COUNTY") && i.id !== lead.id && plan.departmentWithSpecialty(i, code),
      ),
      n,
    );

  // Provincial level: one per specialty not yet covered at that level.
  const provincialTaken = new Set(
    alliances()
      .filter((c) => c.allianceLevel === "PROVINCIAL")
      .map((c) => c.specialtyCode),
  );
  const provincialNeed = TARGETS.provincialAlliances - provincialTaken.size;
  const provincialCodes = r.sample(
    SPECIALTIES.map((s) => s.code).filter((c) => !provincialTaken.has(c)),
    provincialNeed,
  );
  if (provincialCodes.length < provincialNeed) throw new Error("not enough specialties for the provincial alliances");
  for (const code of provincialCodes) {
    const pool = (r.chance(0.25) ? cityGeneral : province).filter((i) => plan.departmentWithSpecialty(i, code));
    const lead = r.pick(pool.length > 0 ? pool : province.filter((i) => plan.departmentWithSpecialty(i, code)));
    const row = plan.addConsortium({
      code: nextConsortiumCode(plan, consortiumCodePrefix("SPECIALTY_ALLIANCE", "PROVINCIAL")),
      name: `吉林省${specialty(code).name}专科联盟`,
      type: "SPECIALTY_ALLIANCE",
      allianceLevel: "PROVINCIAL",
      lead,
      leadDepartment: plan.departmentWithSpecialty(lead, code)!,
      specialtyCode: code,
    });
    for (const m of membersFor(code, lead, r.int(6, 12))) plan.addMember(row, m);
  }

  // Province-managed-hospital level: provincial hospitals take turns; each picks a specialty it practises and
  // does not yet lead an alliance in.
  const hospitalLevel = () => alliances().filter((c) => c.allianceLevel === "PROVINCE_MANAGED_HOSPITAL");
  const taken = new Set(hospitalLevel().map((c) => `${c.leadInstitutionId}/${c.specialtyCode}`));
  const hospitals = r.shuffle(province);
  let turn = 0;
  while (hospitalLevel().length < TARGETS.hospitalAlliances) {
    if (turn > hospitals.length * SPECIALTIES.length) throw new Error("cannot place the hospital-level alliances");
    const lead = hospitals[turn++ % hospitals.length]!;
    const options = plan
      .departmentsOf(lead)
      .filter(
        (d) => d.specialtyCode && !taken.has(`${lead.id}/${d.specialtyCode}`) && d.specialtyCode !== "GENERAL_PRACTICE",
      );
    if (options.length === 0) continue;
    const dept = r.pick(options);
    const code = dept.specialtyCode!;
    taken.add(`${lead.id}/${code}`);
    const row = plan.addConsortium({
      code: nextConsortiumCode(plan, consortiumCodePrefix("SPECIALTY_ALLIANCE", "PROVINCE_MANAGED_HOSPITAL")),
      name: `${lead.name}${departmentNameOf(code)}专科联盟`,
      type: "SPECIALTY_ALLIANCE",
      allianceLevel: "PROVINCE_MANAGED_HOSPITAL",
      lead,
      leadDepartment: dept,
      specialtyCode: code,
    });
    for (const m of membersFor(code, lead, r.int(3, 8))) plan.addMember(row, m);
  }
}

// ------------------------------------------------------------------------------------------------ network tree

/**
 * Institution.parentId, the first hop of a request up the telemedicine network:
 *  - PROVINCE: none;
 *  - CITY: a provincial hospital (延边 → 延边大学附属医院, 通化 → 吉林大学第一医院梅河医院, 白山 → the 白山
 *    provincial TCM centre for TCM hospitals, otherwise the four 长春 upper hospitals in turn);
 *  - COUNTY: the lead of the city medical group it belongs to, else one of its city's general hospitals in turn;
 *  - TOWNSHIP: the lead of its county medical community; grassroots units outside any community (the named
 *    Songyuan group members) go to their city group's lead.
 */
function assignNetworkParents(plan: SeedPlan, cities: City[]): void {
  const upper = ["吉林大学第一医院", "吉林大学第二医院", "吉林大学中日联谊医院", "吉林省人民医院"].map((n) =>
    plan.institution(n),
  );
  const cityParent: Record<string, InstitutionRow> = {
    yanbian: plan.institution("延边大学附属医院"),
    tonghua: plan.institution("吉林大学第一医院梅河医院"),
  };
  const baishanTcm = plan.institution("长春中医药大学附属医院白山医院");
  const leadOf = (c: ConsortiumRow) => plan.institutionWithId(c.leadInstitutionId!);
  let u = 0;
  const turnByCity = new Map<string, number>();

  for (const i of plan.institutions) {
    if (i.tier === "PROVINCE") continue;
    const city = cities.find((c) => c.region.id === i.cityId);
    if (!city) throw new Error(`${i.name} (${i.tier}) has no city`);

    if (i.tier === "CITY") {
      i.parentId =
        city.def.code === "baishan" && i.kind === "TCM_HOSPITAL"
          ? baishanTcm.id
          : (cityParent[city.def.code] ?? upper[u++ % upper.length]!).id;
      continue;
    }

    const community = plan.memberOf(i, "COUNTY_MEDICAL_COMMUNITY")[0];
    const group = plan.memberOf(i, "CITY_MEDICAL_GROUP")[0];
    if (i.tier === "TOWNSHIP" && community) {
      i.parentId = leadOf(community).id;
    } else if (group) {
      i.parentId = leadOf(group).id;
    } else {
      const general = city.hospitals.filter((h) => h.kind === "GENERAL_HOSPITAL");
      const turn = turnByCity.get(city.def.code) ?? 0;
      turnByCity.set(city.def.code, turn + 1);
      i.parentId = general[turn % general.length]!.id;
    }
  }
}
