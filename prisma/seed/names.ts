// Generated names: fake people for the demo accounts and fake place names (towns, villages, streets) for the
// generated grassroots institutions. Everything is built from syllable lists by a seeded PRNG; no name is taken
// from the source documents, and any match with a real person or place is coincidence.
import { hash32, mulberry32, rng, type Rng } from "./rng";

// Common surnames (public statistics of frequency), and given-name characters.
const SURNAMES = [
  "王",
  "李",
  "张",
  "刘",
  "陈",
  "杨",
  "赵",
  "黄",
  "周",
  "吴",
  "徐",
  "孙",
  "胡",
  "朱",
  "高",
  "林",
  "何",
  "郭",
  "马",
  "罗",
  "梁",
  "宋",
  "郑",
  "谢",
  "韩",
  "唐",
  "冯",
  "于",
  "董",
  "程",
  "曹",
  "袁",
  "邓",
  "许",
  "傅",
  "沈",
  "曾",
  "彭",
  "吕",
  "苏",
  "卢",
  "蒋",
  "蔡",
  "贾",
  "丁",
  "魏",
  "薛",
  "叶",
  "阎",
  "潘",
  "杜",
  "戴",
  "夏",
  "钟",
  "田",
  "任",
  "姜",
  "范",
  "方",
  "石",
  "姚",
  "谭",
  "邹",
  "金",
  "陆",
  "郝",
  "孔",
  "白",
  "崔",
  "康",
  "毛",
  "邱",
  "秦",
  "史",
  "顾",
  "侯",
  "邵",
  "孟",
  "龙",
  "段",
  "雷",
  "钱",
  "汤",
  "尹",
  "常",
  "武",
  "乔",
  "贺",
  "文",
  "关",
];
const GIVEN = [
  "伟",
  "芳",
  "娜",
  "敏",
  "静",
  "丽",
  "强",
  "磊",
  "军",
  "洋",
  "勇",
  "艳",
  "杰",
  "娟",
  "涛",
  "明",
  "超",
  "秀",
  "霞",
  "平",
  "刚",
  "桂",
  "英",
  "华",
  "玉",
  "红",
  "建",
  "国",
  "志",
  "春",
  "海",
  "晓",
  "雪",
  "宇",
  "鑫",
  "博",
  "佳",
  "欣",
  "立",
  "新",
  "文",
  "力",
  "永",
  "成",
  "东",
  "亮",
  "琳",
  "凯",
  "慧",
  "婷",
  "蕾",
  "岩",
  "松",
  "爽",
  "丹",
  "晶",
  "颖",
  "鹏",
  "飞",
  "辉",
  "俊",
  "斌",
  "瑶",
  "萍",
  "楠",
  "健",
  "巍",
  "彤",
  "阳",
  "峰",
  "梅",
  "莉",
];

/**
 * A fake two- or three-character Chinese name. Derived from `key` only (not from a shared stream), so a user
 * keeps the same display name whatever else the generator adds.
 */
export function personName(key: string): string {
  const next = mulberry32(hash32(`person:${key}`));
  const pick = (list: readonly string[]) => list[Math.floor(next() * list.length)]!;
  const surname = pick(SURNAMES);
  if (next() < 0.35) return surname + pick(GIVEN);
  const a = pick(GIVEN);
  let b = pick(GIVEN);
  while (b === a) b = pick(GIVEN);
  return surname + a + b;
}

// ---------------------------------------------------------------------------------------------- places

const TOWN_FIRST = [
  "大",
  "小",
  "新",
  "太",
  "永",
  "长",
  "兴",
  "安",
  "宝",
  "福",
  "红",
  "金",
  "双",
  "三",
  "五",
  "青",
  "白",
  "黑",
  "柳",
  "杨",
  "榆",
  "松",
  "桦",
  "东",
  "西",
  "南",
  "北",
  "万",
  "合",
  "富",
  "德",
  "胜",
  "和",
  "靖",
  "朝",
  "龙",
  "凤",
  "兰",
  "平",
  "庆",
  "康",
  "明",
  "团",
  "黄",
  "前",
  "后",
  "高",
  "八",
  "四",
  "石",
];
const TOWN_SECOND = [
  "岭",
  "山",
  "河",
  "台",
  "沟",
  "屯",
  "堡",
  "甸",
  "泉",
  "林",
  "原",
  "阳",
  "兴",
  "安",
  "平",
  "丰",
  "城",
  "江",
  "湖",
  "源",
  "桥",
  "岗",
  "营",
  "店",
  "峰",
  "川",
  "家",
  "发",
  "隆",
  "胜",
  "顺",
  "合",
  "泰",
  "宁",
];
const VILLAGE_SUFFIX = ["屯", "窝堡", "店", "沟", "岗", "营子", "街", "堡子", "甸子", "房身"];
const STREET_FIRST = [
  "永",
  "安",
  "民",
  "康",
  "新",
  "兴",
  "和",
  "平",
  "胜",
  "利",
  "光",
  "明",
  "建",
  "春",
  "文",
  "友",
  "幸",
  "长",
  "青",
  "站",
  "桂",
  "湖",
  "滨",
  "铁",
  "东",
  "西",
  "南",
  "北",
  "清",
  "华",
  "德",
  "正",
  "景",
  "锦",
  "欣",
  "惠",
];
const STREET_SECOND = [
  "安",
  "康",
  "平",
  "华",
  "新",
  "明",
  "兴",
  "乐",
  "和",
  "丰",
  "春",
  "阳",
  "城",
  "苑",
  "园",
  "湖",
  "桥",
  "泰",
  "宁",
  "祥",
  "源",
  "盛",
  "荣",
  "达",
];

/**
 * Makes place names unique within one scope (a county): the same county never gets two 大岭镇, while two
 * counties may (their institution names differ by the county prefix).
 */
export class PlaceNamer {
  private readonly used = new Set<string>();
  private readonly r: Rng;

  constructor(scope: string) {
    this.r = rng(`places:${scope}`);
  }

  /** Reserve a name (e.g. a pinned demo town) so it is not generated again. */
  reserve(name: string): void {
    this.used.add(name);
  }

  town(): string {
    return this.unique(() => this.pair(TOWN_FIRST, TOWN_SECOND));
  }

  village(): string {
    return this.unique(() =>
      this.r.chance(0.6)
        ? `${this.r.pick(SURNAMES)}家${this.r.pick(VILLAGE_SUFFIX)}`
        : this.pair(TOWN_FIRST, TOWN_SECOND),
    );
  }

  street(): string {
    return this.unique(() => this.pair(STREET_FIRST, STREET_SECOND));
  }

  private pair(first: readonly string[], second: readonly string[]): string {
    const a = this.r.pick(first);
    let b = this.r.pick(second);
    while (a === b) b = this.r.pick(second);
    return a + b;
  }

  private unique(make: () => string): string {
    for (let attempt = 0; attempt < 1000; attempt++) {
      const name = make();
      if (!this.used.has(name)) {
        this.used.add(name);
        return name;
      }
    }
    throw new Error("PlaceNamer: ran out of names");
  }
}
