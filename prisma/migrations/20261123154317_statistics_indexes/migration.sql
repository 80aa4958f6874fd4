-- CreateIndex
CREATE INDEX "Consultation_submittedAt_idx" ON "Consultation"("submittedAt");

-- CreateIndex
CREATE INDEX "Referral_requestedAt_idx" ON "Referral"("requestedAt");
