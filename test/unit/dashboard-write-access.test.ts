import { compileDashboard } from '../../src/dashboard/dashboard-settings.js';
import { refuseWrite, writeToken } from '../../src/dashboard/write-access.js';

const settings = (token?: string) =>
  compileDashboard({ enabled: true, ...(token === undefined ? {} : { token }), show_prompts: false, show_access_keys: false, replay: { capacity: 10, store: 'memory', redis: { url: 'redis://x', key: 'k' } } });

describe('dashboard write access', () => {
  it('takes the token from the config, else from SWITCHYARD_DASHBOARD_TOKEN, else there is none', () => {
    expect(writeToken(settings('from-config'), { SWITCHYARD_DASHBOARD_TOKEN: 'from-env' })).toBe('from-config');
    expect(writeToken(settings(), { SWITCHYARD_DASHBOARD_TOKEN: 'from-env' })).toBe('from-env');
    expect(writeToken(settings(), { SWITCHYARD_DASHBOARD_TOKEN: '' })).toBeUndefined();
    expect(writeToken(settings(), {})).toBeUndefined();
  });

  it('refuses every write with 403 when no token is configured: the dashboard is read-only', () => {
    expect(refuseWrite(undefined, 'Bearer anything')).toMatchObject({ status: 403, body: { error: { code: 'dashboard_read_only', type: 'permission_error' } } });
  });

  it('refuses a missing or wrong bearer token with 401 and lets the right one through', () => {
    expect(refuseWrite('secret-token', undefined)?.status).toBe(401);
    expect(refuseWrite('secret-token', 'Bearer secret-tokeN')?.status).toBe(401);
    expect(refuseWrite('secret-token', 'secret-token')?.status).toBe(401);
    expect(refuseWrite('secret-token', 'Bearer secret-token-and-more')?.status).toBe(401);
    expect(refuseWrite('secret-token', 'Bearer secret-token')).toBeUndefined();
  });
});
