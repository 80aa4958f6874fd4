// Shared setup of the worker tests: consultations to attach files to, uploads over real HTTP, waiting for jobs.
import { readFileSync } from "node:fs";
import path from "node:path";
import { randomUUID } from "node:crypto";
import type { Db } from "@yilian/server";

export async function userId(db: Db, username: string) {
  const u = await db.user.findUniqueOrThrow({ where: { username }, select: { id: true, institutionId: true } });
  return u;
}

let seq = 0;
/** A submitted consultation from 哈达山卫生院 (doctor.hadashan) to 松原吉林油田医院 with spec.youtian.1 assigned. */
export async function makeConsultation(db: Db, opts: { status?: string } = {}) {
  const doctor = await userId(db, "doctor.hadashan");
  const spec = await userId(db, "spec.youtian.1");
  const id = randomUUID();
  await db.consultation.create({
    data: {
      id,
      number: `TEST-UP-${process.pid}-${++seq}-${id.slice(0, 6)}`,
      status: (opts.status ?? "SUBMITTED") as never,
      requestingInstitutionId: doctor.institutionId,
      requestingDoctorId: doctor.id,
      targetInstitutionId: spec.institutionId,
      patientName: "张三",
      patientSex: "MALE",
      patientBirthDate: new Date("1960-01-01"),
      submittedAt: new Date(),
      participants: {
        create: [
          { userId: doctor.id, role: "REQUESTER" },
          { userId: spec.id, role: "SPECIALIST" },
        ],
      },
    },
  });
  return id;
}

/** POSTs one file as multipart/form-data through fetch (streaming on the server side). */
export async function uploadFile(
  baseUrl: string,
  token: string,
  consultationId: string,
  file: string,
  name = path.basename(file),
) {
  const form = new FormData();
  form.append("file", new Blob([readFileSync(file)]), name);
  const res = await fetch(`${baseUrl}/api/consultations/${consultationId}/uploads`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

export async function waitFor<T>(
  fn: () => Promise<T | null | undefined | false>,
  timeoutMs = 20_000,
  stepMs = 100,
): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export async function waitForFinal(db: Db, uploadId: string, timeoutMs = 20_000) {
  return waitFor(async () => {
    const u = await db.upload.findUnique({ where: { id: uploadId } });
    return u && (u.status === "READY" || u.status === "REJECTED") ? u : null;
  }, timeoutMs);
}
