// Maps config.monitoring.logRetentionDays to a retention CloudWatch Logs accepts, or says which values it accepts.
import * as logs from 'aws-cdk-lib/aws-logs';
import { ConfigError } from './config/load';

/** Retention periods CloudWatch Logs accepts, in days (9999 = never expire). */
export const ALLOWED_RETENTION_DAYS: readonly number[] = Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number');

/** The retention for a configured number of days; a ConfigError (key, value, allowed values) for any other number. */
export function logRetention(days: number, source = 'pipeline config'): logs.RetentionDays {
  if (!ALLOWED_RETENTION_DAYS.includes(days)) {
    throw new ConfigError(source, [
      { path: 'monitoring.logRetentionDays', message: `is not a retention CloudWatch Logs accepts; use one of ${ALLOWED_RETENTION_DAYS.join(', ')}`, value: days },
    ]);
  }
  return days as logs.RetentionDays;
}
