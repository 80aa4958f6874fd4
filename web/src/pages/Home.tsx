// Workbench: greeting, the user's roles and shortcuts to what they do most.
import { Card, Col, Descriptions, Row, Space, Tag, Typography } from "antd";
import { Link } from "react-router";
import { professionalTitleLabel, roleLabel, tierLabel } from "@yilian/contract";
import { useUser } from "../lib/session";
import { NAV, canSee } from "../nav";
import { t } from "../i18n";

export default function Home() {
  const user = useUser();
  const shortcuts = NAV.filter((e) => e.path !== "/" && canSee(e, user.roles));
  return (
    <Space orientation="vertical" size={16} style={{ width: "100%" }}>
      <Typography.Title level={4} style={{ margin: 0 }}>
        {t("home.welcome", { name: user.displayName })}
      </Typography.Title>
      <Row gutter={16}>
        <Col xs={24} lg={12}>
          <Card title={t("nav.profile")}>
            <Descriptions column={1} size="small">
              <Descriptions.Item label="医疗机构">
                {user.institution.name}（{tierLabel[user.institution.tier]}）
              </Descriptions.Item>
              <Descriptions.Item label="科室">{user.department?.name ?? "—"}</Descriptions.Item>
              <Descriptions.Item label="职称">
                {user.title ? professionalTitleLabel[user.title] : "—"}
              </Descriptions.Item>
              <Descriptions.Item label="角色">
                {user.roles.map((r) => (
                  <Tag key={r} color="blue">
                    {roleLabel[r]}
                  </Tag>
                ))}
              </Descriptions.Item>
              {user.region && <Descriptions.Item label="管辖区域">{user.region.name}</Descriptions.Item>}
            </Descriptions>
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card title={t("home.quick")}>
            <Space wrap>
              {shortcuts.map((e) => (
                <Link
                  key={e.path}
                  to={e.path}
                  className="ant-btn ant-btn-default"
                  style={{ padding: "4px 15px", border: "1px solid #d9d9d9", borderRadius: 6 }}
                >
                  {t(e.label)}
                </Link>
              ))}
            </Space>
          </Card>
        </Col>
      </Row>
    </Space>
  );
}
