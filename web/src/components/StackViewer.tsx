// Stack viewer of one DICOM series on dwv (a maintained DICOM viewer library): scroll through slices (wheel or
// buttons), CT window presets, free window/level, zoom/pan and distance measurement. Loaded on demand (the
// console imports this module dynamically), so dwv never weighs on the login route. The files come from the upload
// content endpoint with the bearer token: the server decides original or de-identified, as for any download.
import { useEffect, useId, useRef, useState } from "react";
import { Alert, Button, Progress, Radio, Space, Tooltip, Typography } from "antd";
import { App as DwvApp, AppOptions, Index, ToolConfig, ViewConfig, WindowLevel, type ViewController } from "dwv";
import { api } from "../lib/api";

/** CT presets (Hounsfield units): [center, width]. */
export const CT_PRESETS: Record<string, { label: string; center: number; width: number }> = {
  lung: { label: "肺窗", center: -600, width: 1500 },
  mediastinum: { label: "纵隔窗", center: 50, width: 350 },
  bone: { label: "骨窗", center: 400, width: 1800 },
  brain: { label: "脑窗", center: 40, width: 80 },
};

const TOOLS = [
  { value: "Scroll", label: "翻层" },
  { value: "WindowLevel", label: "窗宽窗位" },
  { value: "ZoomAndPan", label: "缩放 / 平移" },
  { value: "Draw", label: "测距" },
] as const;

export default function StackViewer({ uploadIds, modality }: { uploadIds: string[]; modality?: string | null }) {
  const divId = `dwv-${useId().replace(/[^a-zA-Z0-9]/g, "")}`;
  const appRef = useRef<DwvApp | null>(null);
  const [progress, setProgress] = useState(0);
  const [ready, setReady] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [tool, setTool] = useState<string>("Scroll");
  const [slice, setSlice] = useState<{ at: number; of: number } | null>(null);

  const controller = (): ViewController | undefined =>
    appRef.current?.getActiveLayerGroup()?.getActiveViewLayer()?.getViewController();
  const updateSlice = () => {
    const vc = controller();
    if (!vc) return;
    const k = vc.getScrollDimIndex();
    setSlice({ at: (vc.getCurrentIndex().get(k) ?? 0) + 1, of: vc.getImageSize().get(k) });
  };

  useEffect(() => {
    const app = new DwvApp();
    appRef.current = app;
    const options = new AppOptions({ "*": [new ViewConfig(divId)] });
    options.tools = {
      Scroll: new ToolConfig(),
      WindowLevel: new ToolConfig(),
      ZoomAndPan: new ToolConfig(),
      Draw: new ToolConfig(["Ruler"]),
    };
    app.init(options);
    let cancelled = false;
    app.addEventListener("loadprogress", (e: { loaded: number; total: number }) =>
      setProgress(e.total ? Math.round((100 * e.loaded) / e.total) : 0),
    );
    app.addEventListener("renderend", () => {
      if (cancelled) return;
      setReady(true);
      updateSlice();
    });
    app.addEventListener("load", () => {
      app.setTool("Scroll");
      updateSlice();
    });
    app.addEventListener("positionchange", () => updateSlice());
    app.addEventListener("error", (e: { error?: { message?: string } }) =>
      setError(`影像加载失败：${e.error?.message ?? "未知错误"}`),
    );
    void api.accessToken().then((token) => {
      if (cancelled) return;
      const urls = uploadIds.map((id) => `${api.baseUrl}/api/uploads/${id}/content`);
      app.loadURLs(urls, {
        requestHeaders: token ? [{ name: "Authorization", value: `Bearer ${token}` }] : [],
        batchSize: 10,
      });
    });
    const onResize = () => app.onResize();
    window.addEventListener("resize", onResize);
    return () => {
      cancelled = true;
      window.removeEventListener("resize", onResize);
      app.abortAllLoads();
      app.reset();
      appRef.current = null;
    };
    // One viewer per series: the ids do not change while it is open.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [divId, uploadIds.join(",")]);

  const chooseTool = (t: string) => {
    setTool(t);
    const app = appRef.current;
    if (!app) return;
    app.setTool(t);
    if (t === "Draw") app.setToolFeatures({ shapeName: "Ruler" });
  };
  const preset = (key: string) => {
    const p = CT_PRESETS[key]!;
    controller()?.setWindowLevel(new WindowLevel(p.center, p.width));
  };
  const step = (d: number) => {
    const vc = controller();
    if (!vc) return;
    const k = vc.getScrollDimIndex();
    const values = vc.getCurrentIndex().getValues();
    const next = Math.min(vc.getImageSize().get(k) - 1, Math.max(0, values[k]! + d));
    values[k] = next;
    vc.setCurrentIndex(new Index(values));
  };

  return (
    <Space
      orientation="vertical"
      style={{ width: "100%" }}
      size={8}
      data-testid="stack-viewer"
      data-ready={ready ? "1" : "0"}
    >
      <Space wrap>
        <Radio.Group
          value={tool}
          onChange={(e) => chooseTool(e.target.value as string)}
          optionType="button"
          size="small"
          options={TOOLS.map((t) => ({ ...t }))}
        />
        {(modality ?? "CT") === "CT" && (
          <Space.Compact size="small">
            {Object.entries(CT_PRESETS).map(([k, p]) => (
              <Tooltip key={k} title={`窗位 ${p.center} / 窗宽 ${p.width}`}>
                <Button onClick={() => preset(k)} data-testid={`preset-${k}`}>
                  {p.label}
                </Button>
              </Tooltip>
            ))}
          </Space.Compact>
        )}
        <Button size="small" onClick={() => appRef.current?.resetViews()}>
          复位
        </Button>
      </Space>
      {error && <Alert type="error" showIcon title={error} />}
      {!ready && !error && <Progress percent={progress} size="small" status="active" />}
      <div id={divId} style={{ width: "100%", height: 520, background: "#000", position: "relative" }} />
      <Space>
        <Button size="small" onClick={() => step(-1)} disabled={!slice || slice.at <= 1}>
          上一层
        </Button>
        <Typography.Text data-testid="slice-indicator">
          {slice ? `第 ${slice.at} / ${slice.of} 层` : "—"}
        </Typography.Text>
        <Button size="small" onClick={() => step(1)} disabled={!slice || slice.at >= slice.of}>
          下一层
        </Button>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          滚轮翻层；“测距”模式下按住拖动画出测量线
        </Typography.Text>
      </Space>
    </Space>
  );
}
