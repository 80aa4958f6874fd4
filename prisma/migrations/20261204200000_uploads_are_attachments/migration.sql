-- Every READY upload of a consultation is an attachment: the uploads are the one source of truth, so the link
-- table (which stayed empty unless a draft was patched) goes. Uploads already carry their consultationId.
DROP TABLE "ConsultationAttachment";
