-- Deployment protection rule requests (GitHub's `deployment_protection_rule` event): each
-- request GitHub sent us, held while the environment has an active deployment, and the decision
-- we sent back. A held request survives restarts; the decision is sent through the outbox.
CREATE TABLE "protection_request" (
    "id" BIGSERIAL NOT NULL,
    "delivery_id" TEXT NOT NULL,
    "repository" TEXT NOT NULL,
    "environment" TEXT NOT NULL,
    "run_id" BIGINT NOT NULL,
    "callback_url" TEXT NOT NULL,
    "installation_id" BIGINT,
    "github_deployment_id" BIGINT,
    "sha" TEXT,
    "status" TEXT NOT NULL,
    "waiting_for" UUID,
    "decision" TEXT,
    "reason" TEXT,
    "comment" TEXT,
    "requested_at" TIMESTAMPTZ(3) NOT NULL,
    "deadline" TIMESTAMPTZ(3),
    "decided_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "protection_request_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "protection_request_status_check" CHECK ("status" IN ('held', 'decided')),
    CONSTRAINT "protection_request_decision_check" CHECK ("decision" IS NULL OR "decision" IN ('approved', 'rejected')),
    CONSTRAINT "protection_request_decided_check" CHECK (("status" = 'decided') = ("decision" IS NOT NULL))
);

-- A redelivered or reprocessed delivery never makes a second request.
CREATE UNIQUE INDEX "protection_request_delivery_id_key" ON "protection_request"("delivery_id");

-- The protection worker looks only at held requests.
CREATE INDEX "protection_request_held_idx" ON "protection_request"("waiting_for") WHERE "status" = 'held';
