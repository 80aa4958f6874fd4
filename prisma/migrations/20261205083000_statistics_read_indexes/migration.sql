-- Statistics reads through indexes that match the API's filters (issue #18): a breakdown (one metric of one month at
-- one level) follows the primary key, a scope's months follow the covering read index. Uniqueness is unchanged.
ALTER TABLE "MonthlyStat" DROP CONSTRAINT "MonthlyStat_pkey";
ALTER TABLE "MonthlyStat" ADD CONSTRAINT "MonthlyStat_pkey" PRIMARY KEY ("month", "scope", "metric", "dimension", "key", "scopeId");

DROP INDEX "MonthlyStat_scope_scopeId_month_idx";
CREATE INDEX "MonthlyStat_scope_read_idx" ON "MonthlyStat"("scope", "scopeId", "month", "metric", "dimension", "key", "value");
