// Resumable uploads (tus 1.0, @tus/server + a file store) at /api/uploads/tus, for large images and case files on
// thin links. Same rules as multipart: the caller's scope is checked before a byte is stored, the kind is decided
// from the content (the head is checked as soon as it arrives, the whole file at the end), limits per kind, and a
// refusal removes everything. Only a complete file enters the pipeline (recordUpload: UPLOADED → job); partial
// files stay in STORAGE_DIR/.tus until finished or expired.
import { createHash, randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Router, type RequestHandler } from "express";
import { z } from "zod";
import { Server as TusServer } from "@tus/server";
import { FileStore } from "@tus/file-store";
import { ERRORS, Metadata, type Upload as TusUpload } from "@tus/utils";
import { NodeRequest, sendNodeResponse } from "srvx/node";
import { AppError, ErrorCode } from "@yilian/contract";
import { UploadView } from "@yilian/contract";
import type { AuthUser } from "../authz/principal";
import { notFound } from "../authz/policy";
import { currentUser } from "../auth/middleware";
import { describeRoute } from "../http/openapi";
import { problemOf } from "../http/problem";
import { DOCX_MIME, humanSize, MAX_UPLOAD_BYTES, type KindSpec } from "./kinds";
import { cleanFileName, decideKind, rejected, SNIFF_BYTES, sniffKind, tooLarge } from "./receive";
import { assertCanUpload, auditRefusedUpload, recordUpload, type UploadsDeps } from "./uploads";

export const TUS_PATH = "/api/uploads/tus";

export interface ResumableOptions {
  /** Where partial files and their descriptions live (on the server's disk, beside local storage). */
  directory: string;
  expiryMs: number;
}

/** Header names clients need to read (the server's id for the finished upload). */
const UPLOAD_ID_HEADER = "Yilian-Upload-Id";

/** Types a browser gives when it does not know: treated as "not declared". */
const UNDECLARED = new Set(["", "application/octet-stream"]);

/** What the client declared, as kept in the partial upload's description (server-written, never the client's). */
interface Declared {
  consultationId: string;
  filename: string;
  filetype: string;
  uploaderId: string;
}

function declaredOf(u: Pick<TusUpload, "metadata">): Declared {
  const m = u.metadata ?? {};
  return {
    consultationId: m.consultationId ?? "",
    filename: m.filename ?? "",
    filetype: m.filetype ?? "",
    uploaderId: m.uploaderId ?? "",
  };
}

/** A refusal in the shape @tus/server answers with: our problem+json as the body. */
class TusRefusal {
  readonly status_code: number;
  readonly body: string;
  constructor(readonly error: AppError) {
    this.status_code = error.status;
    this.body = JSON.stringify(problemOf(error));
  }
}

function kindMismatch(content: KindSpec, declared: KindSpec): AppError {
  return rejected(
    ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    `文件内容为${content.label}，与声明的类型（${declared.label}）不符，请重新选择文件`,
    {
      detected: content.mime,
      declared: declared.mime,
    },
  );
}

/** Maps a declared type to its kind: Office documents may be declared as a zip by some browsers' pickers. */
function declaredKind(kinds: Record<string, KindSpec>, filetype: string): KindSpec | undefined {
  return kinds[filetype] ?? (filetype === "application/zip" ? kinds[DOCX_MIME] : undefined);
}

/**
 * The file store with our content rules in its write path: the first 64 KB are checked the moment they arrive
 * (a refused kind, a kind that differs from the declared one, or a declared length beyond the kind's limit ends
 * the upload and removes it); tus extensions we do not offer are not advertised.
 */
class CheckedFileStore extends FileStore {
  constructor(
    opts: { directory: string; expirationPeriodInMilliseconds: number },
    private readonly kinds: Record<string, KindSpec>,
    private readonly onRefused: (consultationId: string, e: AppError) => Promise<void>,
  ) {
    super(opts);
    // No creation-with-upload (the first bytes go through PATCH and its checks) and no deferred length.
    this.extensions = ["creation", "termination", "expiration"];
  }

  pathOf(id: string): string {
    return path.join(this.directory, id);
  }

  override async write(readable: Readable, id: string, offset: number): Promise<number> {
    const upload = await this.configstore.get(id);
    if (!upload || offset >= SNIFF_BYTES || upload.size === undefined) return super.write(readable, id, offset);
    const size = upload.size;
    const declared = declaredKind(this.kinds, declaredOf(upload).filetype);
    let head: Buffer = offset > 0 ? await readHead(this.pathOf(id), offset) : Buffer.alloc(0);
    let refusal: AppError | null = null;
    const need = Math.min(SNIFF_BYTES, size);
    const check = new Transform({
      transform: (chunk: Buffer, _enc, done) => {
        if (head.length >= need) return done(null, chunk);
        head = Buffer.concat([head, chunk.subarray(0, need - head.length)]);
        if (head.length < need) return done(null, chunk);
        sniffKind(head, this.kinds)
          .then(
            (spec) => {
              if (spec && declared && spec.kind !== declared.kind) throw kindMismatch(spec, declared);
              if (spec && size > spec.maxBytes) throw tooLarge(spec);
              done(null, chunk);
            },
            (e: unknown) => {
              refusal =
                e instanceof AppError ? e : rejected(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "无法识别文件内容的类型");
              done(refusal);
            },
          )
          .catch((e: unknown) => {
            refusal = e as AppError;
            done(refusal);
          });
      },
    });
    readable.once("error", (e) => check.destroy(e));
    try {
      return await super.write(readable.pipe(check), id, offset);
    } catch (e) {
      if (!refusal) throw e;
      await this.remove(id).catch(() => undefined);
      await this.onRefused(declaredOf(upload).consultationId, refusal);
      throw new TusRefusal(refusal);
    }
  }
}

async function readHead(file: string, length: number): Promise<Buffer> {
  const fh = await open(file, "r");
  try {
    const buf = Buffer.alloc(Math.min(length, SNIFF_BYTES));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(file), hash);
  return hash.digest("hex");
}

/** zh-CN answers for the protocol's own errors (offset conflicts, expiry, lengths). */
function tusProblem(err: { status_code: number; body: string }): AppError {
  switch (err) {
    case ERRORS.FILE_NOT_FOUND:
      return notFound("上传");
    case ERRORS.FILE_NO_LONGER_EXISTS:
      return new AppError(ErrorCode.UPLOAD_EXPIRED);
    case ERRORS.INVALID_OFFSET:
      return new AppError(ErrorCode.CONFLICT, "续传位置与服务器已收到的字节数不一致，请先查询进度（HEAD）再继续");
    case ERRORS.ERR_SIZE_EXCEEDED:
    case ERRORS.ERR_MAX_SIZE_EXCEEDED:
      return rejected(ErrorCode.PAYLOAD_TOO_LARGE, "发送的数据超过了声明的文件大小，上传已取消，请重新上传");
    case ERRORS.INVALID_CONTENT_TYPE:
      return new AppError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "续传数据须以 application/offset+octet-stream 发送");
    case ERRORS.MISSING_OFFSET:
      return new AppError(ErrorCode.VALIDATION_FAILED, "缺少 Upload-Offset 请求头");
    case ERRORS.ERR_LOCK_TIMEOUT:
      return new AppError(ErrorCode.CONFLICT, "该文件正在被另一个连接上传，请稍后再试");
    case ERRORS.FILE_WRITE_ERROR:
    case ERRORS.ABORTED:
      return new AppError(ErrorCode.UNAVAILABLE, "上传连接中断，已收到的部分已保存，可继续上传");
  }
  if (err.status_code >= 500) return new AppError(ErrorCode.INTERNAL);
  return new AppError(ErrorCode.VALIDATION_FAILED, `续传请求不符合 tus 协议：${err.body.trim().slice(0, 200)}`);
}

const CreationMetadata = z.object({
  consultationId: z.uuid({ error: "会诊编号格式不正确" }),
  filename: z.string().max(1000).optional(),
  filetype: z.string().max(255).optional(),
});

export interface ResumableUploads {
  router: Router;
  /** Removes partial uploads past their expiry (also runs on a timer). */
  cleanUpExpired(): Promise<number>;
  close(): void;
}

export function resumableUploads(
  deps: UploadsDeps & { requireAuth: RequestHandler },
  opts: ResumableOptions,
): ResumableUploads {
  const { db, kinds } = deps;
  const hardMax = MAX_UPLOAD_BYTES(kinds);
  const store = new CheckedFileStore(
    { directory: opts.directory, expirationPeriodInMilliseconds: opts.expiryMs },
    kinds,
    (id, e) => auditRefusedUpload(db, id, e),
  );
  /** The authenticated caller of each request @tus/server is handling (hooks receive the request only). */
  const callers = new WeakMap<object, { user: AuthUser; declared?: Declared }>();
  const callerOf = (req: object) => {
    const c = callers.get(req);
    if (!c) throw new TusRefusal(new AppError(ErrorCode.UNAUTHENTICATED));
    return c;
  };

  const tus = new TusServer({
    path: TUS_PATH,
    datastore: store,
    relativeLocation: true,
    maxSize: hardMax,
    exposedHeaders: [UPLOAD_ID_HEADER],
    // Server-chosen ids: the finished file keeps this id as its upload id.
    namingFunction: () => randomUUID(),
    onUploadCreate: async (req) => {
      const { declared } = callerOf(req);
      if (!declared) throw new TusRefusal(new AppError(ErrorCode.INTERNAL));
      return { metadata: { ...declared } };
    },
    onUploadFinish: async (req, upload) => {
      const { user } = callerOf(req);
      const d = declaredOf(upload);
      const file = store.pathOf(upload.id);
      try {
        const size = upload.size ?? upload.offset;
        const spec = await decideKind(file, size, kinds);
        const declared = declaredKind(kinds, d.filetype);
        if (declared && declared.kind !== spec.kind) throw kindMismatch(spec, declared);
        // The consultation may have closed while the file was on its way.
        await assertCanUpload(db, user, d.consultationId);
        const dto = await recordUpload(
          deps,
          user,
          d.consultationId,
          { tmpPath: file, originalName: d.filename, size, sha256: await sha256Of(file), spec },
          upload.id,
        );
        await store.configstore.delete(upload.id);
        return {
          status_code: 200,
          headers: { "Content-Type": "application/json; charset=utf-8", [UPLOAD_ID_HEADER]: dto.id },
          body: JSON.stringify(dto),
        };
      } catch (e) {
        await store.remove(upload.id).catch(() => undefined);
        if (!(e instanceof AppError)) throw e;
        await auditRefusedUpload(db, d.consultationId, e);
        throw new TusRefusal(e);
      }
    },
    onResponseError: async (req, err) => {
      if (err instanceof TusRefusal) return err;
      const e = err as { status_code?: number; body?: string };
      if (typeof e.status_code !== "number") return new TusRefusal(new AppError(ErrorCode.INTERNAL));
      // More bytes than declared: the declared length was wrong, so the upload goes.
      if (req.method === "PATCH" && err === ERRORS.ERR_SIZE_EXCEEDED) {
        const id = new URL(req.url).pathname.split("/").pop();
        if (id) await store.remove(id).catch(() => undefined);
      }
      return new TusRefusal(tusProblem(e as { status_code: number; body: string }));
    },
  });

  /** Checks a creation request before @tus/server sees it: scope, declared type and length. */
  async function checkCreation(
    headers: Record<string, string | string[] | undefined>,
    user: AuthUser,
  ): Promise<Declared> {
    let raw: Record<string, string | null>;
    try {
      raw = Metadata.parse(String(headers["upload-metadata"] ?? ""));
    } catch {
      throw new AppError(ErrorCode.VALIDATION_FAILED, "Upload-Metadata 请求头格式不正确");
    }
    const meta = CreationMetadata.safeParse(
      Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v ?? undefined])),
    );
    if (!meta.success) {
      throw new AppError(ErrorCode.VALIDATION_FAILED, undefined, {
        issues: meta.error.issues.map((i) => ({
          path: `metadata.${i.path.join(".")}`,
          message: i.code === "invalid_type" ? "缺少会诊编号（consultationId）" : i.message,
        })),
      });
    }
    const { consultationId } = meta.data;
    await assertCanUpload(db, user, consultationId);
    try {
      if (headers["upload-defer-length"] !== undefined || headers["upload-length"] === undefined) {
        throw rejected(ErrorCode.VALIDATION_FAILED, "创建上传时须声明文件大小（Upload-Length）");
      }
      if (headers["content-type"] === "application/offset+octet-stream") {
        throw rejected(ErrorCode.VALIDATION_FAILED, "请先创建上传，再用 PATCH 发送文件内容");
      }
      const length = Number(headers["upload-length"]);
      if (!Number.isSafeInteger(length) || length < 0)
        throw rejected(ErrorCode.VALIDATION_FAILED, "Upload-Length 须为非负整数");
      if (length === 0) throw rejected(ErrorCode.VALIDATION_FAILED, "文件为空");
      const filetype = (meta.data.filetype ?? "").trim().toLowerCase();
      const declared = UNDECLARED.has(filetype) ? undefined : declaredKind(kinds, filetype);
      if (!UNDECLARED.has(filetype) && !declared) {
        throw rejected(
          ErrorCode.UNSUPPORTED_MEDIA_TYPE,
          `声明的文件类型（${filetype.slice(0, 80)}）不受支持；仅支持 DICOM 影像、JPEG/PNG 图片、PDF 与 Word（.docx）病例资料`,
          {
            declared: filetype,
          },
        );
      }
      if (declared && length > declared.maxBytes) throw tooLarge(declared);
      if (length > hardMax)
        throw rejected(ErrorCode.PAYLOAD_TOO_LARGE, `文件不能超过 ${humanSize(hardMax)}`, { limitBytes: hardMax });
      return {
        consultationId,
        filename: cleanFileName(meta.data.filename),
        filetype: declared?.mime ?? "",
        uploaderId: user.id,
      };
    } catch (e) {
      await auditRefusedUpload(db, consultationId, e);
      throw e;
    }
  }

  const router = Router();
  const UploadIdParam = z.uuid();
  router.all([TUS_PATH, `${TUS_PATH}/:tusId`], deps.requireAuth, async (req, res) => {
    const user = currentUser(res);
    const tusId = req.params.tusId;
    let declared: Declared | undefined;
    if (req.method === "POST") {
      if (tusId) throw new AppError(ErrorCode.METHOD_NOT_ALLOWED);
      declared = await checkCreation(req.headers, user);
    } else if (tusId) {
      // Someone else's partial upload does not exist for this caller.
      const stored =
        typeof tusId === "string" && UploadIdParam.safeParse(tusId).success
          ? await store.configstore.get(tusId)
          : undefined;
      if (!stored) throw notFound("上传");
      if (declaredOf(stored).uploaderId !== user.id) throw notFound("上传");
    } else if (req.method !== "OPTIONS") {
      throw new AppError(ErrorCode.METHOD_NOT_ALLOWED);
    }
    const request = new NodeRequest({ req, res });
    callers.set(request, { user, declared });
    let response = await tus.handleWeb(request);
    if (response.status >= 400) {
      const headers = new Headers(response.headers);
      headers.set("Content-Type", "application/problem+json; charset=utf-8");
      response = new Response(response.body, { status: response.status, headers });
    }
    await sendNodeResponse(res, response);
  });

  describeRoute({
    method: "post",
    path: TUS_PATH,
    summary:
      "Resumable upload (tus 1.0 creation): Upload-Length and Upload-Metadata `consultationId`, `filename`, optional `filetype`; " +
      "then PATCH /api/uploads/tus/{id} from the offset HEAD reports. The last PATCH answers 200 with the upload (UPLOADED, processing follows). " +
      "Unfinished uploads expire (UPLOAD_RESUMABLE_EXPIRY_S).",
    tag: "uploads",
    auth: true,
    schemas: {},
    status: 201,
  });
  describeRoute({
    method: "patch",
    path: `${TUS_PATH}/:id`,
    summary:
      "Resumable upload: bytes from Upload-Offset (application/offset+octet-stream); 204, or 200 with the upload once complete",
    tag: "uploads",
    auth: true,
    schemas: { params: z.object({ id: z.uuid() }) },
    response: UploadView,
  });

  const cleanUpExpired = () => tus.cleanUpExpiredUploads();
  const timer = setInterval(
    () =>
      void cleanUpExpired().catch((err: Error) =>
        deps.log.warn({ err: err.message }, "expired upload clean-up failed"),
      ),
    Math.min(opts.expiryMs, 15 * 60_000),
  );
  timer.unref();
  return { router, cleanUpExpired, close: () => clearInterval(timer) };
}
