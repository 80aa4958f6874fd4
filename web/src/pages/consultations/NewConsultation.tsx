// New consultation wizard: patient → clinical summary → target (ranked suggestions with reasons) → attachments
// (upload progress, previews incl. DICOM) → review and submit. The draft is kept in sessionStorage on every
// change, so an expired session (or a reload) never loses a half-filled request.
import { useEffect, useMemo, useState } from "react";
import { useNavigate } from "react-router";
import {
  Alert,
  Button,
  Card,
  DatePicker,
  Descriptions,
  Empty,
  Form,
  Input,
  List,
  Radio,
  Select,
  Space,
  Spin,
  Steps,
  Tag,
  Typography,
  Upload,
} from "antd";
import { InboxOutlined } from "@ant-design/icons";
import {
  ConsultationKind,
  PatientInput,
  Urgency,
  consultationKindLabel,
  urgencyLabel,
  type Sex,
} from "@yilian/contract";
import type { TargetSuggestion, UploadView } from "@yilian/client-sdk";
import { api } from "../../lib/api";
import { useUser } from "../../lib/session";
import { useSpecialties } from "../../lib/refdata";
import { explain, errorText } from "../../lib/errors";
import { dayjs, fmt } from "../../lib/dayjs";
import { ErrorAlert } from "../../components/ErrorAlert";
import { UploadCard } from "../../components/UploadPreview";
import { TierTag } from "../../components/labels";
import { t } from "../../i18n";
import { useToast } from "../../lib/toast";

interface WizardValues {
  patientName?: string;
  sex?: Sex;
  birthDate?: string;
  idNumber?: string;
  recordNumber?: string;
  urgency?: Urgency;
  kind?: ConsultationKind;
  specialtyCode?: string;
  chiefComplaint?: string;
  history?: string;
  examinations?: string;
  preliminaryDiagnosis?: string;
  question?: string;
  targetInstitutionId?: string;
}
interface Draft {
  step: number;
  values: WizardValues;
  consultationId?: string;
  uploads: UploadView[];
}

const draftKey = (userId: string) => `yilian.wizard.${userId}`;
const loadDraft = (userId: string): Draft | null => {
  try {
    const raw = sessionStorage.getItem(draftKey(userId));
    return raw ? (JSON.parse(raw) as Draft) : null;
  } catch {
    return null;
  }
};

const sexOptions = [
  { value: "MALE", label: "男" },
  { value: "FEMALE", label: "女" },
  { value: "UNKNOWN", label: "未知" },
];

const STEP_FIELDS: (keyof WizardValues)[][] = [
  ["patientName", "sex", "birthDate", "idNumber", "recordNumber", "urgency", "kind"],
  ["specialtyCode", "chiefComplaint", "history", "examinations", "preliminaryDiagnosis", "question"],
  ["targetInstitutionId"],
  [],
  [],
];

function patientOf(v: WizardValues) {
  return {
    name: v.patientName ?? "",
    sex: v.sex ?? "UNKNOWN",
    birthDate: v.birthDate ?? "",
    ...(v.idNumber ? { idNumber: v.idNumber } : {}),
    ...(v.recordNumber ? { recordNumber: v.recordNumber } : {}),
  };
}
const patientField: Record<string, keyof WizardValues> = {
  name: "patientName",
  sex: "sex",
  birthDate: "birthDate",
  idNumber: "idNumber",
  recordNumber: "recordNumber",
};

function TargetStep({
  specialtyCode,
  value,
  onChange,
}: {
  specialtyCode?: string;
  value?: string;
  onChange?: (v: string) => void;
}) {
  const [state, setState] = useState<{ loading: boolean; items: TargetSuggestion[]; error: unknown }>({
    loading: true,
    items: [],
    error: null,
  });
  const load = () => {
    if (!specialtyCode) return;
    setState((s) => ({ ...s, loading: true }));
    api.suggestTargets(specialtyCode).then(
      (r) => {
        setState({ loading: false, items: r.items, error: null });
        if (!value && r.items[0]) onChange?.(r.items[0].institution.id);
      },
      (e) => setState({ loading: false, items: [], error: e }),
    );
  };
  // eslint-disable-next-line react-hooks/exhaustive-deps
  useEffect(load, [specialtyCode]);
  if (state.error) return <ErrorAlert error={state.error} onRetry={load} />;
  if (state.loading)
    return (
      <Spin description="正在计算推荐的会诊医院…">
        <div style={{ height: 120 }} />
      </Spin>
    );
  if (!state.items.length)
    return <Empty description="该专科暂无可申请的上级医院，请更换专科或联系本院远程医学中心。" />;
  return (
    <Radio.Group value={value} onChange={(e) => onChange?.(e.target.value)} style={{ width: "100%" }}>
      <List
        bordered
        dataSource={state.items}
        renderItem={(s, i) => (
          <List.Item data-testid="target-option">
            <Radio value={s.institution.id}>
              <Space orientation="vertical" size={2}>
                <Space>
                  <Typography.Text strong>
                    {i + 1}. {s.institution.name}
                  </Typography.Text>
                  <TierTag tier={s.institution.tier} />
                  {i === 0 && <Tag color="gold">推荐</Tag>}
                </Space>
                <Typography.Text type="secondary" style={{ fontSize: 13 }}>
                  推荐理由：{s.linkLabel}
                  {s.specialtyMatch ? "；有对口专科" : "；无对口专科科室"}
                  {s.nextSlot ? `；最早可约 ${fmt(s.nextSlot, "MM-DD HH:mm")}` : "；近两周暂无空闲号源"}
                  ；当前待处理 {s.openLoad} 例
                </Typography.Text>
              </Space>
            </Radio>
          </List.Item>
        )}
      />
    </Radio.Group>
  );
}

export default function NewConsultation() {
  const user = useUser();
  const navigate = useNavigate();
  const message = useToast();
  const specialties = useSpecialties();
  const [form] = Form.useForm<WizardValues>();
  const restored = useMemo(() => loadDraft(user.id), [user.id]);
  const [draft, setDraft] = useState<Draft>(
    () => restored ?? { step: 0, values: { urgency: "ROUTINE", kind: "SINGLE_SPECIALIST", sex: "MALE" }, uploads: [] },
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [progress, setProgress] = useState<Record<string, number>>({});

  const persist = (next: Draft) => {
    setDraft(next);
    sessionStorage.setItem(draftKey(user.id), JSON.stringify(next));
  };
  useEffect(() => form.setFieldsValue(draft.values), []); // eslint-disable-line react-hooks/exhaustive-deps

  const values = (): WizardValues => ({ ...draft.values, ...form.getFieldsValue(true) });

  const showIssues = (e: unknown) => {
    const x = explain(e);
    form.setFields(
      x.fields
        .map((f) => {
          const parts = f.path.replace(/^body\./, "").split(".");
          const name = parts[0] === "patient" ? patientField[parts[1] ?? ""] : (parts[0] as keyof WizardValues);
          return name ? { name, errors: [f.message] } : null;
        })
        .filter((x): x is { name: keyof WizardValues; errors: string[] } => x !== null),
    );
    setError(e);
  };

  /** Saves the current step to the server draft, creating it on the first step. */
  const saveStep = async (v: WizardValues, step: number): Promise<string | undefined> => {
    let id = draft.consultationId;
    if (step === 0) {
      const patient = PatientInput.safeParse(patientOf(v));
      if (!patient.success) {
        form.setFields(
          patient.error.issues.map((i) => ({
            name: patientField[String(i.path[0])] ?? "patientName",
            errors: [i.message],
          })),
        );
        return undefined;
      }
      if (!id) {
        const c = await api.createConsultation({ patient: patient.data, urgency: v.urgency, kind: v.kind });
        id = c.id;
      } else {
        await api.updateConsultation(id, { patient: patient.data, urgency: v.urgency, kind: v.kind });
      }
    } else if (step === 1 && id) {
      await api.updateConsultation(id, {
        specialtyCode: v.specialtyCode ?? null,
        chiefComplaint: v.chiefComplaint ?? "",
        history: v.history ?? "",
        examinations: v.examinations ?? "",
        preliminaryDiagnosis: v.preliminaryDiagnosis ?? "",
        question: v.question ?? "",
      });
    } else if (step === 2 && id) {
      await api.updateConsultation(id, { targetInstitutionId: v.targetInstitutionId ?? null });
    }
    // Step 3 (files) saves nothing more: every READY upload of the consultation is an attachment.
    return id;
  };

  const next = async () => {
    setError(null);
    try {
      await form.validateFields(STEP_FIELDS[draft.step]);
    } catch {
      return;
    }
    const v = values();
    setBusy(true);
    try {
      const id = await saveStep(v, draft.step);
      if (!id) return;
      persist({ ...draft, values: v, consultationId: id, step: draft.step + 1 });
    } catch (e) {
      showIssues(e);
    } finally {
      setBusy(false);
    }
  };

  const submit = async () => {
    if (!draft.consultationId) return;
    setBusy(true);
    setError(null);
    try {
      await saveStep(values(), 3);
      await api.submitConsultation(draft.consultationId);
      sessionStorage.removeItem(draftKey(user.id));
      message.success(t("cons.submitted"));
      void navigate(`/consultations/${draft.consultationId}`, { replace: true }); // synchronous under BrowserRouter
    } catch (e) {
      showIssues(e);
    } finally {
      setBusy(false);
    }
  };

  const discard = () => {
    sessionStorage.removeItem(draftKey(user.id));
    form.resetFields();
    setDraft({ step: 0, values: { urgency: "ROUTINE", kind: "SINGLE_SPECIALIST", sex: "MALE" }, uploads: [] });
    form.setFieldsValue({ urgency: "ROUTINE", kind: "SINGLE_SPECIALIST", sex: "MALE" });
  };

  const v = draft.values;
  const step = draft.step;
  const specialtyOptions = specialties.list.map((s) => ({ value: s.code, label: s.name }));

  return (
    <Card
      title={t("cons.new")}
      extra={<Typography.Text type="secondary">申请机构：{user.institution.name}</Typography.Text>}
    >
      <Steps
        current={step}
        size="small"
        style={{ marginBottom: 20 }}
        items={[t("cons.patient"), t("cons.clinical"), t("cons.target"), t("cons.attachments"), t("cons.review")].map(
          (title) => ({ title }),
        )}
      />
      {restored && step + Object.keys(restored.values).length > 3 && (
        <Alert
          type="info"
          showIcon
          closable
          title={t("cons.draftRestored")}
          style={{ marginBottom: 12 }}
          data-testid="draft-restored"
          action={
            <Button size="small" onClick={discard}>
              放弃草稿
            </Button>
          }
        />
      )}
      {error !== null && <ErrorAlert error={error} style={{ marginBottom: 12 }} />}
      <Form<WizardValues>
        form={form}
        layout="vertical"
        style={{ maxWidth: 880 }}
        onValuesChange={() => persist({ ...draft, values: values() })}
        requiredMark
      >
        <div style={{ display: step === 0 ? "block" : "none" }}>
          <Space size={16} wrap align="start" style={{ display: "flex" }}>
            <Form.Item
              name="patientName"
              label="患者姓名"
              rules={[{ required: true, whitespace: true, message: "请输入患者姓名" }]}
              style={{ width: 200 }}
            >
              <Input id="patientName" maxLength={50} />
            </Form.Item>
            <Form.Item name="sex" label="性别" rules={[{ required: true }]}>
              <Radio.Group options={sexOptions} optionType="button" />
            </Form.Item>
            <Form.Item
              name="birthDate"
              label="出生日期"
              rules={[{ required: true, message: "请选择出生日期" }]}
              getValueProps={(val: string | undefined) => ({ value: val ? dayjs(val) : undefined })}
              normalize={(d: dayjs.Dayjs | null) => (d ? d.format("YYYY-MM-DD") : undefined)}
            >
              <DatePicker
                id="birthDate"
                disabledDate={(d) => d.isAfter(dayjs())}
                style={{ width: 160 }}
                placeholder="YYYY-MM-DD"
              />
            </Form.Item>
          </Space>
          <Space size={16} wrap align="start" style={{ display: "flex" }}>
            <Form.Item
              name="idNumber"
              label="身份证号"
              tooltip="选填；仅在治疗医生间显示，其他人看到的是脱敏号码"
              style={{ width: 260 }}
            >
              <Input maxLength={18} id="idNumber" />
            </Form.Item>
            <Form.Item name="recordNumber" label="病历号" style={{ width: 200 }}>
              <Input maxLength={64} id="recordNumber" />
            </Form.Item>
          </Space>
          <Space size={16} wrap align="start" style={{ display: "flex" }}>
            <Form.Item name="urgency" label="紧急程度" rules={[{ required: true }]}>
              <Radio.Group
                optionType="button"
                buttonStyle="solid"
                options={Urgency.options.map((u) => ({ value: u, label: urgencyLabel[u] }))}
              />
            </Form.Item>
            <Form.Item name="kind" label="会诊类型" rules={[{ required: true }]} style={{ width: 200 }}>
              <Select options={ConsultationKind.options.map((k) => ({ value: k, label: consultationKindLabel[k] }))} />
            </Form.Item>
          </Space>
        </div>
        <div style={{ display: step === 1 ? "block" : "none" }}>
          <Form.Item
            name="specialtyCode"
            label="申请专科"
            rules={[{ required: true, message: "请选择申请的专科" }]}
            style={{ width: 300 }}
          >
            <Select
              showSearch
              optionFilterProp="label"
              options={specialtyOptions}
              loading={specialties.loading}
              id="specialtyCode"
              placeholder="输入专科名称搜索"
            />
          </Form.Item>
          <Form.Item
            name="chiefComplaint"
            label="主诉"
            rules={[{ required: true, whitespace: true, message: "请填写主诉" }]}
          >
            <Input.TextArea rows={2} maxLength={2000} showCount id="chiefComplaint" />
          </Form.Item>
          <Form.Item name="history" label="现病史及既往史">
            <Input.TextArea rows={3} maxLength={20000} />
          </Form.Item>
          <Form.Item name="examinations" label="检查结果">
            <Input.TextArea rows={2} maxLength={20000} />
          </Form.Item>
          <Space size={16} style={{ width: "100%" }} styles={{ item: { flex: 1 } }}>
            <Form.Item name="preliminaryDiagnosis" label="初步诊断">
              <Input.TextArea rows={2} maxLength={2000} />
            </Form.Item>
            <Form.Item
              name="question"
              label="会诊目的"
              rules={[{ required: true, whitespace: true, message: "请填写会诊目的" }]}
            >
              <Input.TextArea rows={2} maxLength={2000} id="question" />
            </Form.Item>
          </Space>
        </div>
        {step === 2 && (
          <Form.Item
            name="targetInstitutionId"
            label="会诊医院（按推荐顺序）"
            rules={[{ required: true, message: "请选择会诊医院" }]}
          >
            <TargetStep specialtyCode={v.specialtyCode} />
          </Form.Item>
        )}
      </Form>
      {step === 3 && draft.consultationId && (
        <Space orientation="vertical" style={{ width: "100%", maxWidth: 880 }}>
          <Upload.Dragger
            multiple
            showUploadList={false}
            accept=".dcm,.dicom,.jpg,.jpeg,.png,.pdf,.docx,application/dicom,image/jpeg,image/png,application/pdf"
            customRequest={async (opt) => {
              const file = opt.file as File;
              const key = `${file.name}:${file.size}:${file.lastModified}`;
              setProgress((p) => ({ ...p, [key]: 0 }));
              try {
                const u = await api.upload(draft.consultationId!, file, file.name, (f) =>
                  setProgress((p) => ({ ...p, [key]: f })),
                );
                setProgress((p) => {
                  const { [key]: _, ...rest } = p;
                  return rest;
                });
                setDraft((d) => {
                  const nd = { ...d, uploads: [...d.uploads, u] };
                  sessionStorage.setItem(draftKey(user.id), JSON.stringify(nd));
                  return nd;
                });
                opt.onSuccess?.(u);
              } catch (e) {
                setProgress((p) => {
                  const { [key]: _, ...rest } = p;
                  return rest;
                });
                message.error(`${file.name}：${errorText(e)}`);
                opt.onError?.(e as Error);
              }
            }}
          >
            <p className="ant-upload-drag-icon">
              <InboxOutlined />
            </p>
            <p className="ant-upload-text">点击或拖拽文件到此处上传</p>
            <p className="ant-upload-hint">支持 DICOM 影像、JPEG/PNG 图片、PDF 和 DOCX 病例资料；可一次选择多个文件</p>
          </Upload.Dragger>
          <Space wrap size={12}>
            {Object.entries(progress).map(([k, f]) => (
              <UploadCard
                key={k}
                progress={f}
                upload={{ id: k, originalName: k.split(":")[0]!, status: "UPLOADED" } as UploadView}
              />
            ))}
            {draft.uploads.map((u) => (
              <UploadCard key={u.id} upload={u} />
            ))}
          </Space>
          {draft.uploads.length === 0 && (
            <Typography.Text type="secondary">影像和病例资料为选填，也可以跳过此步骤。</Typography.Text>
          )}
        </Space>
      )}
      {step === 4 && (
        <Descriptions bordered column={2} size="small" style={{ maxWidth: 880 }}>
          <Descriptions.Item label="患者">
            {v.patientName}（{sexOptions.find((s) => s.value === v.sex)?.label}，{v.birthDate}）
          </Descriptions.Item>
          <Descriptions.Item label="紧急程度">{v.urgency ? urgencyLabel[v.urgency] : "—"}</Descriptions.Item>
          <Descriptions.Item label="会诊类型">{v.kind ? consultationKindLabel[v.kind] : "—"}</Descriptions.Item>
          <Descriptions.Item label="专科">{specialties.name(v.specialtyCode)}</Descriptions.Item>
          <Descriptions.Item label="主诉" span={2}>
            {v.chiefComplaint}
          </Descriptions.Item>
          <Descriptions.Item label="会诊目的" span={2}>
            {v.question}
          </Descriptions.Item>
          <Descriptions.Item label="附件" span={2}>
            {draft.uploads.length ? `${draft.uploads.length} 个文件` : "无"}
          </Descriptions.Item>
        </Descriptions>
      )}
      <Space style={{ marginTop: 20 }}>
        {step > 0 && (
          <Button onClick={() => persist({ ...draft, values: values(), step: step - 1 })} disabled={busy}>
            {t("common.prev")}
          </Button>
        )}
        {step < 4 && (
          <Button
            type="primary"
            onClick={() => void next()}
            loading={busy}
            disabled={step === 3 && Object.keys(progress).length > 0}
          >
            {step === 0 && !draft.consultationId ? "保存草稿并继续" : t("common.next")}
          </Button>
        )}
        {step === 4 && (
          <Button type="primary" onClick={() => void submit()} loading={busy}>
            提交会诊申请
          </Button>
        )}
        {(draft.consultationId || step > 0) && (
          <Button type="text" danger onClick={discard} disabled={busy}>
            放弃草稿
          </Button>
        )}
      </Space>
    </Card>
  );
}
