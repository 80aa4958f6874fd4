// The invite read back by a calendar parser (ical.js, Mozilla's, as Thunderbird uses) lands at the booked instant.
import ICAL from "ical.js";
import { bookingInvite } from "./ics";

const booked = { startsAt: new Date("2026-12-04T14:54:00Z"), endsAt: new Date("2026-12-04T15:24:00Z") };
const invite = (over: Partial<Parameters<typeof bookingInvite>[0]> = {}) =>
  bookingInvite({
    bookingId: "0b6f3c2e-7c1d-4c55-9a53-3f0f2b9a1d10",
    number: "HZ20261204-0007",
    ...booked,
    sequence: 0,
    institutionName: "松原吉林油田医院",
    url: "https://yilian.example.cn/consultations/x/room",
    attendees: [{ id: "u1", name: "王医生" }],
    ...over,
  });

function parse(text: string) {
  const cal = new ICAL.Component(ICAL.parse(text));
  // Register the invite's own VTIMEZONE, as a calendar client does on import.
  for (const tz of cal.getAllSubcomponents("vtimezone")) ICAL.TimezoneService.register(tz);
  return { cal, event: new ICAL.Event(cal.getFirstSubcomponent("vevent")!) };
}

test("the event starts and ends at the booked instants, shown in Asia/Shanghai wall-clock", () => {
  const text = invite();
  const { event } = parse(text);
  expect(event.startDate.toJSDate().toISOString()).toBe("2026-12-04T14:54:00.000Z");
  expect(event.endDate.toJSDate().toISOString()).toBe("2026-12-04T15:24:00.000Z");
  expect(event.startDate.zone.tzid).toBe("Asia/Shanghai");
  expect(text).toContain("DTSTART;TZID=Asia/Shanghai:20261204T225400\r\n");
  expect(event.summary).toBe("远程会诊 HZ20261204-0007");
});

test("RFC 5545 framing: VTIMEZONE present, UTC DTSTAMP, CRLF after every line including the last", () => {
  const text = invite();
  const { cal } = parse(text);
  expect(cal.getFirstSubcomponent("vtimezone")?.getFirstPropertyValue("tzid")).toBe("Asia/Shanghai");
  expect(text).toMatch(/\r\nDTSTAMP:\d{8}T\d{6}Z\r\n/);
  expect(text.endsWith("END:VCALENDAR\r\n")).toBe(true);
  expect(text.replace(/\r\n/g, "")).not.toMatch(/[\r\n]/);
});

test("a cancelled booking is a CANCEL with the same UID and a higher SEQUENCE", () => {
  const first = parse(invite()).event;
  const { cal, event } = parse(invite({ cancelled: true, sequence: 1 }));
  expect(cal.getFirstPropertyValue("method")).toBe("CANCEL");
  expect(event.uid).toBe(first.uid);
  expect(event.sequence).toBe(1);
  expect(event.component.getFirstPropertyValue("status")).toBe("CANCELLED");
});

test("no patient data in the invite", () => {
  expect(invite()).not.toMatch(/患者|身份证/);
});
