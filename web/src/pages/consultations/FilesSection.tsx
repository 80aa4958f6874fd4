// The files of a consultation (every READY upload is an attachment) and, for the people working on it while it is
// open, adding more: a specialist may ask for more images after submission. Large files go through tus in the SDK
// and survive a dropped township line; the others are told through `consultation:attachment-added`.
import { lazy, Suspense, useState } from "react";
import { Button, Collapse, Empty, Modal, Space, Spin, Upload } from "antd";
import { InboxOutlined } from "@ant-design/icons";
import type { UploadView } from "@yilian/client-sdk";
import { api } from "../../lib/api";
import { errorText } from "../../lib/errors";
import { UploadCard } from "../../components/UploadPreview";
import { PacsImport } from "./PacsImport";
import { useToast } from "../../lib/toast";
import { groupSeries, type Series } from "../../lib/series";

// dwv is loaded only when a series is opened.
const StackViewer = lazy(() => import("../../components/StackViewer"));

const ACCEPT = ".dcm,.dicom,.jpg,.jpeg,.png,.pdf,.docx,application/dicom,image/jpeg,image/png,application/pdf";

export function FilesSection({
  consultationId,
  items,
  canUpload,
  canImport = false,
  onUploaded,
}: {
  consultationId: string;
  items: UploadView[];
  canUpload: boolean;
  /** Doctors working on an open consultation may import from their institution's PACS. */
  canImport?: boolean;
  onUploaded: () => void;
}) {
  const message = useToast();
  const [viewing, setViewing] = useState<Series | null>(null);
  const [progress, setProgress] = useState<Record<string, number>>({});
  const done = (key: string) =>
    setProgress((p) => {
      const { [key]: _, ...rest } = p;
      return rest;
    });
  return (
    <Space orientation="vertical" style={{ width: "100%" }} size={12}>
      {canUpload && (
        <Upload.Dragger
          multiple
          showUploadList={false}
          accept={ACCEPT}
          data-testid="add-files"
          customRequest={async (opt) => {
            const file = opt.file as File;
            const key = `${file.name}:${file.size}:${file.lastModified}`;
            setProgress((p) => ({ ...p, [key]: 0 }));
            try {
              const u = await api.upload(consultationId, file, file.name, (f) =>
                setProgress((p) => ({ ...p, [key]: f })),
              );
              message.success(`${file.name} 已上传，正在处理`);
              opt.onSuccess?.(u);
              onUploaded();
            } catch (e) {
              message.error(`${file.name}：${errorText(e)}`);
              opt.onError?.(e as Error);
            } finally {
              done(key);
            }
          }}
        >
          <p className="ant-upload-drag-icon">
            <InboxOutlined />
          </p>
          <p className="ant-upload-text">补充上传影像或病例资料</p>
          <p className="ant-upload-hint">大文件断线后可续传；上传后会通知其他参与会诊的医生</p>
        </Upload.Dragger>
      )}
      {canImport && (
        <Collapse
          size="small"
          items={[
            {
              key: "pacs",
              label: "从本院 PACS 导入影像",
              children: <PacsImport consultationId={consultationId} onImported={onUploaded} />,
              forceRender: true,
            },
          ]}
        />
      )}
      {items.length || Object.keys(progress).length ? (
        <Space wrap size={12}>
          {Object.entries(progress).map(([k, f]) => (
            <UploadCard
              key={k}
              progress={f}
              upload={{ id: k, originalName: k.split(":")[0]!, status: "UPLOADED" } as UploadView}
            />
          ))}
          {groupSeries(items).map((g) =>
            "items" in g ? (
              <Space key={g.key} orientation="vertical" size={4} data-testid="series-card">
                <UploadCard upload={g.items[0]!} />
                <Button size="small" block onClick={() => setViewing(g)} data-testid="open-series">
                  {g.items.length > 1 ? `浏览序列（${g.items.length} 张）` : "打开影像"}
                </Button>
              </Space>
            ) : (
              <UploadCard key={g.id} upload={g} />
            ),
          )}
        </Space>
      ) : (
        <Empty description="没有上传资料" image={Empty.PRESENTED_IMAGE_SIMPLE} />
      )}
      <Modal
        open={viewing !== null}
        onCancel={() => setViewing(null)}
        footer={null}
        width={960}
        destroyOnHidden
        title={viewing ? `影像浏览 · ${viewing.modality ?? "DICOM"} · ${viewing.items.length} 张` : ""}
      >
        {viewing && (
          <Suspense fallback={<Spin />}>
            <StackViewer uploadIds={viewing.items.map((u) => u.id)} modality={viewing.modality} />
          </Suspense>
        )}
      </Modal>
    </Space>
  );
}
