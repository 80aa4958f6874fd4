// An error with what to do about it, and a retry when the action can be repeated.
import { Alert, Button, Result } from "antd";
import { Link } from "react-router";
import { isYilianError } from "@yilian/client-sdk";
import { explain } from "../lib/errors";
import { t } from "../i18n";

export function ErrorAlert({
  error,
  onRetry,
  style,
}: {
  error: unknown;
  onRetry?: () => void;
  style?: React.CSSProperties;
}) {
  const x = explain(error);
  return (
    <Alert
      type="error"
      showIcon
      style={style}
      title={x.message}
      description={
        <>
          <div>
            {t("error.whatToDo")}
            {x.guidance}
          </div>
          {x.fields.length > 0 && (
            <ul style={{ margin: "4px 0 0", paddingInlineStart: 20 }}>
              {x.fields.map((f) => (
                <li key={f.path + f.message}>{f.message}</li>
              ))}
            </ul>
          )}
        </>
      }
      action={
        onRetry ? (
          <Button size="small" onClick={onRetry}>
            {t("common.retry")}
          </Button>
        ) : undefined
      }
    />
  );
}

export function NotFound() {
  return (
    <Result
      status="404"
      title={t("common.notFound")}
      subTitle={t("common.notFoundHint")}
      extra={
        <Link to="/">
          <Button type="primary">{t("common.backHome")}</Button>
        </Link>
      }
    />
  );
}

/** Not found for 404 answers (records outside the caller's scope answer 404 too), an alert otherwise. */
export function LoadError({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  if (isYilianError(error) && error.status === 404) return <NotFound />;
  return <ErrorAlert error={error} onRetry={onRetry} />;
}
