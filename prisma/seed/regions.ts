// Administrative geography of Jilin province: its 9 prefecture-level divisions and their county-level divisions
// (districts, counties, county-level cities), by their public names. Region codes are pinyin slugs, used in
// usernames (`region.songyuan`); `num` is the prefecture's number in the national division code (22xx) and
// appears in institution codes (`JL-07-0001` is in 松原市).
import type { SeedPlan } from "./plan";

/**
 * How a county-level division is settled, which decides what the generator puts there:
 *  - URBAN: a core city district: community health centres, no township health centres;
 *  - SUBURBAN: a district with rural towns around it: a few township health centres;
 *  - RURAL: a county or county-level city: township health centres, village clinics, a county seat.
 *  - NEW_AREA: a functional area (梅河新区) with only the institutions the source documents name.
 */
export type Settlement = "URBAN" | "SUBURBAN" | "RURAL" | "NEW_AREA";

export interface CountyDef {
  name: string;
  code: string;
  settlement: Settlement;
}

export interface CityDef {
  name: string;
  /** Name used as a prefix of generated institution names (延边朝鲜族自治州 → 延边州). */
  short: string;
  code: string;
  /** Two digits of the national division code (2201 → "01"). */
  num: string;
  counties: readonly CountyDef[];
}

const U = "URBAN" as const;
const S = "SUBURBAN" as const;
const R = "RURAL" as const;

export const JILIN_CITIES: readonly CityDef[] = [
  {
    name: "长春市",
    short: "长春市",
    code: "changchun",
    num: "01",
    counties: [
      { name: "南关区", code: "nanguan", settlement: U },
      { name: "宽城区", code: "kuancheng", settlement: U },
      { name: "朝阳区", code: "chaoyang", settlement: U },
      { name: "二道区", code: "erdao", settlement: U },
      { name: "绿园区", code: "lvyuan", settlement: U },
      { name: "双阳区", code: "shuangyang", settlement: S },
      { name: "九台区", code: "jiutai", settlement: S },
      { name: "榆树市", code: "yushu", settlement: R },
      { name: "德惠市", code: "dehui", settlement: R },
      { name: "公主岭市", code: "gongzhuling", settlement: R },
      { name: "农安县", code: "nongan", settlement: R },
    ],
  },
  {
    name: "吉林市",
    short: "吉林市",
    code: "jilin",
    num: "02",
    counties: [
      { name: "昌邑区", code: "changyi", settlement: U },
      { name: "龙潭区", code: "longtan", settlement: S },
      { name: "船营区", code: "chuanying", settlement: U },
      { name: "丰满区", code: "fengman", settlement: S },
      { name: "永吉县", code: "yongji", settlement: R },
      { name: "蛟河市", code: "jiaohe", settlement: R },
      { name: "桦甸市", code: "huadian", settlement: R },
      { name: "舒兰市", code: "shulan", settlement: R },
      { name: "磐石市", code: "panshi", settlement: R },
    ],
  },
  {
    name: "四平市",
    short: "四平市",
    code: "siping",
    num: "03",
    counties: [
      { name: "铁西区", code: "tiexi", settlement: U },
      { name: "铁东区", code: "tiedong", settlement: S },
      { name: "梨树县", code: "lishu", settlement: R },
      { name: "伊通满族自治县", code: "yitong", settlement: R },
      { name: "双辽市", code: "shuangliao", settlement: R },
    ],
  },
  {
    name: "辽源市",
    short: "辽源市",
    code: "liaoyuan",
    num: "04",
    counties: [
      { name: "龙山区", code: "longshan", settlement: U },
      { name: "西安区", code: "xian", settlement: U },
      { name: "东丰县", code: "dongfeng", settlement: R },
      { name: "东辽县", code: "dongliao", settlement: R },
    ],
  },
  {
    name: "通化市",
    short: "通化市",
    code: "tonghua",
    num: "05",
    counties: [
      { name: "东昌区", code: "dongchang", settlement: U },
      { name: "二道江区", code: "erdaojiang", settlement: S },
      { name: "通化县", code: "tonghuaxian", settlement: R },
      { name: "辉南县", code: "huinan", settlement: R },
      { name: "柳河县", code: "liuhe", settlement: R },
      { name: "梅河口市", code: "meihekou", settlement: R },
      { name: "集安市", code: "jian", settlement: R },
      // A new area, not a county; the source documents place 吉林大学第一医院梅河医院 there. Modelled as a
      // county-kind region under 通化市 so the hospital has a county and the tree stays two levels deep.
      { name: "梅河新区", code: "meihexinqu", settlement: "NEW_AREA" },
    ],
  },
  {
    name: "白山市",
    short: "白山市",
    code: "baishan",
    num: "06",
    counties: [
      { name: "浑江区", code: "hunjiang", settlement: S },
      { name: "江源区", code: "jiangyuan", settlement: S },
      { name: "抚松县", code: "fusong", settlement: R },
      { name: "靖宇县", code: "jingyu", settlement: R },
      { name: "长白朝鲜族自治县", code: "changbai", settlement: R },
      { name: "临江市", code: "linjiang", settlement: R },
    ],
  },
  {
    name: "松原市",
    short: "松原市",
    code: "songyuan",
    num: "07",
    counties: [
      { name: "宁江区", code: "ningjiang", settlement: S },
      { name: "前郭尔罗斯蒙古族自治县", code: "qianguo", settlement: R },
      { name: "长岭县", code: "changling", settlement: R },
      { name: "乾安县", code: "qianan", settlement: R },
      { name: "扶余市", code: "fuyu", settlement: R },
    ],
  },
  {
    name: "白城市",
    short: "白城市",
    code: "baicheng",
    num: "08",
    counties: [
      { name: "洮北区", code: "taobei", settlement: S },
      { name: "镇赉县", code: "zhenlai", settlement: R },
      { name: "通榆县", code: "tongyu", settlement: R },
      { name: "洮南市", code: "taonan", settlement: R },
      { name: "大安市", code: "daan", settlement: R },
    ],
  },
  {
    name: "延边朝鲜族自治州",
    short: "延边州",
    code: "yanbian",
    num: "24",
    counties: [
      { name: "延吉市", code: "yanji", settlement: R },
      { name: "图们市", code: "tumen", settlement: R },
      { name: "敦化市", code: "dunhua", settlement: R },
      { name: "珲春市", code: "hunchun", settlement: R },
      { name: "龙井市", code: "longjing", settlement: R },
      { name: "和龙市", code: "helong", settlement: R },
      { name: "汪清县", code: "wangqing", settlement: R },
      { name: "安图县", code: "antu", settlement: R },
    ],
  },
];

/**
 * Long county names make long institution names; generated names use a customary short form for the
 * autonomous counties (前郭尔罗斯蒙古族自治县 → 前郭县), as local institutions do.
 */
export function countyShortName(name: string): string {
  const SHORT: Record<string, string> = {
    伊通满族自治县: "伊通县",
    长白朝鲜族自治县: "长白县",
    前郭尔罗斯蒙古族自治县: "前郭县",
  };
  return SHORT[name] ?? name;
}

/** Adds the 9 cities and their county-level divisions to the plan (cities first: counties point to them). */
export function addJilinRegions(plan: SeedPlan): void {
  for (const c of JILIN_CITIES) {
    const city = plan.addRegion({ code: c.code, name: c.name, kind: "CITY", num: c.num });
    for (const k of c.counties) plan.addRegion({ code: k.code, name: k.name, kind: "COUNTY", parent: city });
  }
}
