import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { CallView } from '../../api/portal/calls.ts';
import CallsPanel from '../../site/components/portal/CallsPanel.tsx';

const call = (id: number, overrides: Partial<CallView>): CallView => ({
  id,
  method: 'GET',
  endpoint: '/sandbox/v1/messages',
  status: 200,
  error_code: null,
  key_prefix: 'onr_test_Ab3dE9xZ',
  key_verified: true,
  duration_ms: 12,
  created_at: new Date().toISOString(),
  ...overrides,
});

describe('dashboard call list', () => {
  it('labels a call made with the developer’s prefix but a wrong secret as a mistyped key, and only that one', () => {
    const html = renderToStaticMarkup(
      <CallsPanel
        calls={[call(2, { status: 401, error_code: 'invalid_api_key', key_verified: false }), call(1, {})]}
        onRefresh={() => undefined}
        refreshing={false}
      />,
    );
    const rows = html.split('<tr').slice(2);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain('data-testid="mistyped-key"');
    expect(rows[0]).toContain('mistyped key');
    expect(rows[1]).not.toContain('mistyped-key');
  });
});
