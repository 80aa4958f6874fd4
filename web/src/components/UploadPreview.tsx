// Preview of an uploaded file: the server renders a PNG of the first image / page (DICOM included); the image is
// fetched with the bearer token and shown from a blob: URL. Waits while the worker is still processing.
import { useEffect, useState } from "react";
import { Image, Progress, Space, Tag, Tooltip, Typography } from "antd";
import { FileOutlined, FilePdfOutlined, PictureOutlined } from "@ant-design/icons";
import type { UploadView } from "@yilian/client-sdk";
import { api } from "../lib/api";

const statusLabel: Record<UploadView["status"], string> = {
  UPLOADED: "等待处理",
  PROCESSING: "处理中",
  READY: "已就绪",
  REJECTED: "已拒收",
};
const statusColor: Record<UploadView["status"], string> = {
  UPLOADED: "default",
  PROCESSING: "processing",
  READY: "success",
  REJECTED: "error",
};

/** Polls an upload until it is READY or REJECTED. */
export function useUploadStatus(initial: UploadView) {
  const [u, setU] = useState(initial);
  useEffect(() => setU(initial), [initial]);
  useEffect(() => {
    if (u.status === "READY" || u.status === "REJECTED") return;
    let stop = false;
    const timer = setTimeout(async () => {
      try {
        const next = await api.uploadInfo(u.id);
        if (!stop) setU(next);
      } catch {
        /* transient: try again on the next tick */
        if (!stop) setU({ ...u });
      }
    }, 1500);
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, [u]);
  return u;
}

export function UploadCard({ upload, progress }: { upload: UploadView; progress?: number }) {
  const u = useUploadStatus(upload);
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    if (u.status !== "READY" || !u.hasPreview) return;
    let url: string | null = null;
    let stop = false;
    api
      .uploadPreview(u.id)
      .then(({ blob }) => {
        if (stop) return;
        url = URL.createObjectURL(blob);
        setSrc(url);
      })
      .catch(() => undefined);
    return () => {
      stop = true;
      if (url) URL.revokeObjectURL(url);
    };
  }, [u.id, u.status, u.hasPreview]);
  const icon =
    u.kind === "PDF" ? <FilePdfOutlined /> : u.category === "IMAGING" ? <PictureOutlined /> : <FileOutlined />;
  return (
    <div
      style={{ width: 168, border: "1px solid #f0f0f0", borderRadius: 8, padding: 8, background: "#fff" }}
      data-testid="upload-card"
      data-status={u.status}
    >
      <div
        style={{
          height: 120,
          display: "flex",
          alignItems: "center",
          justifyContent: "center",
          background: "#fafafa",
          borderRadius: 4,
          overflow: "hidden",
        }}
      >
        {src ? (
          <Image
            src={src}
            alt={u.originalName}
            height={120}
            style={{ objectFit: "contain" }}
            data-testid="upload-preview"
            preview={{ mask: "查看大图" }}
          />
        ) : (
          <span style={{ fontSize: 36, color: "#bfbfbf" }}>{icon}</span>
        )}
      </div>
      <Tooltip title={u.originalName}>
        <Typography.Text ellipsis style={{ display: "block", marginTop: 6, fontSize: 12 }}>
          {u.originalName}
        </Typography.Text>
      </Tooltip>
      {progress !== undefined && progress < 1 ? (
        <Progress percent={Math.round(progress * 100)} size="small" />
      ) : (
        <Space size={4} wrap>
          <Tag color={statusColor[u.status]}>{statusLabel[u.status]}</Tag>
          {u.dicom?.modality && <Tag>{u.dicom.modality}</Tag>}
          {u.dicom?.bodyPart && <Tag>{u.dicom.bodyPart}</Tag>}
        </Space>
      )}
      {u.status === "REJECTED" && (
        <Typography.Text type="danger" style={{ fontSize: 12 }}>
          {u.rejectReason ?? "文件无法识别"}，请检查文件后重新上传。
        </Typography.Text>
      )}
    </div>
  );
}
