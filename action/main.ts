import * as core from '@actions/core';
import { createHttpClient } from './http-client.ts';
import { getSettings } from './inputs.ts';
import type { DeploymentRecord } from './records.ts';
import { finishDeployment, type Report, startDeployment } from './report.ts';
import { DEFAULT_RETRY_POLICY } from './retry.ts';
import { type RunContext, readRunContext } from './run-context.ts';
import { writeSummary } from './summary.ts';
import { obtainToken } from './token.ts';
import { succeeded, waitForTerminal } from './wait.ts';

/**
 * The Action: record the deployment (or its final status), publish outputs, optionally wait.
 * `context` defaults to the runner's (@actions/github); tests in-process pass their own.
 */
export async function run(context?: RunContext): Promise<void> {
  try {
    const settings = getSettings(context ?? (await readRunContext()));
    const token = await obtainToken(settings.token, settings.oidcAudience);
    const client = createHttpClient({
      serverUrl: settings.serverUrl,
      token,
      retry: { ...DEFAULT_RETRY_POLICY, maxAttempts: settings.maxAttempts },
      hooks: {
        onRetry: (failure, attempt, delayMs) =>
          core.info(
            `${failure.message}; retrying in ${(delayMs / 1000).toFixed(1)} s (attempt ${attempt + 1}).`,
          ),
      },
    });

    const report: Report =
      settings.step.kind === 'start'
        ? await startDeployment(client, settings)
        : await finishDeployment(client, settings, settings.step);
    if (report.notApplied) core.warning(report.outcome);
    else core.info(report.outcome);
    publish(report.record, report.replayed);

    let record = report.record;
    if (settings.wait) {
      core.info(`Waiting up to ${Math.round(settings.wait.timeoutMs / 1000)} s for a final state…`);
      record = await waitForTerminal(client, record, {
        ...settings.wait,
        onPoll: (polled) => core.debug(`deployment ${polled.id} is ${polled.state}`),
      });
      publish(record, report.replayed);
    }
    await writeSummary({ record, recordUrl: client.recordUrl(record.id), outcome: report.outcome });

    if (settings.wait && !succeeded(record)) {
      throw new Error(
        `Deployment ${record.id} ended ${record.state}${record.description ? ` (${record.description})` : ''}. ` +
          `See ${record.log_url ?? client.recordUrl(record.id)}.`,
      );
    }
  } catch (error) {
    core.setFailed(`Deployledger: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function publish(record: DeploymentRecord, replayed: boolean): void {
  core.setOutput('deployment-id', record.id);
  core.setOutput('state', record.state);
  core.setOutput('replayed', String(replayed));
  core.setOutput('github-deployment-id', record.github_deployment_id ?? '');
}
