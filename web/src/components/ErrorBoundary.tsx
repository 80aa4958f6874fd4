import { Component, type ReactNode } from "react";
import { Button, Result } from "antd";
import { t } from "../i18n";

/** Last resort: a render error shows what to do instead of a blank page. */
export class ErrorBoundary extends Component<{ children: ReactNode }, { failed: boolean }> {
  override state = { failed: false };
  static getDerivedStateFromError() {
    return { failed: true };
  }
  override render() {
    if (!this.state.failed) return this.props.children;
    return (
      <Result
        status="error"
        title={t("error.boundary")}
        subTitle={t("error.boundaryHint")}
        extra={
          <Button type="primary" onClick={() => location.reload()}>
            {t("common.refresh")}
          </Button>
        }
      />
    );
  }
}
