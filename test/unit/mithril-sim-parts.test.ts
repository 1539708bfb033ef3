import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Faults } from '../../src/mithril-sim/faults';
import { hostsFile, nodeHostname } from '../../src/mithril-sim/hosts/hosts-file';
import { ApiError } from '../../src/mithril-sim/http';
import { formatPrice, parsePrice } from '../../src/mithril-sim/money';
import { paginate } from '../../src/mithril-sim/paging';

/** NODE_RANK as the startup script computes it: non-127 IPv4 lines, rank = total − line number (head = last line). */
function rankOf(hosts: string, hostname: string): { rank: number; head: string; nodes: number } {
  const lines = hosts.split('\n').filter((l) => /^\d+\.\d+\.\d+\.\d+\s/.test(l) && !l.startsWith('127.'));
  const index = lines.findIndex((l) => l.split(/\s+/).slice(1).includes(hostname));
  return { rank: lines.length - (index + 1), head: (lines[lines.length - 1] ?? '').split(/\s+/)[0] ?? '', nodes: lines.length };
}

describe('mithril-sim parts', () => {
  test('/etc/hosts puts node 0 last, so the startup script ranks nodes by their index', () => {
    const nodes = [0, 1, 2].map((i) => ({ address: `10.0.0.${10 + i}`, name: nodeHostname('train', i) }));
    const text = hostsFile(nodes);
    for (const [i, node] of nodes.entries()) {
      assert.deepEqual(rankOf(text, node.name), { rank: i, head: '10.0.0.10', nodes: 3 });
    }
  });

  test('hostnames are <bid name>-<index>, made valid and at most 63 characters', () => {
    assert.equal(nodeHostname('my_job.v2', 1), 'my-job-v2-1');
    const long = nodeHostname('x'.repeat(100), 12);
    assert.equal(long.length, 63);
    assert.ok(long.endsWith('-12'));
  });

  test('prices: "$12.34", "12.3" and numbers in dollars become cents; bad ones are refused', () => {
    assert.equal(parsePrice('$12.34'), 1234);
    assert.equal(parsePrice('12.3'), 1230);
    assert.equal(parsePrice(1.5), 150);
    assert.equal(parsePrice('$1.234'), undefined);
    assert.equal(parsePrice('cheap'), undefined);
    assert.equal(parsePrice(-1), undefined);
    assert.equal(formatPrice(105), '$1.05');
  });

  test('paging walks every row once, newest first, and refuses a forged cursor', () => {
    const rows = Array.from({ length: 5 }, (_, i) => ({ createdAt: '', seq: i + 1 }));
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const query: URLSearchParams = new URLSearchParams(cursor ? { limit: '2', next_cursor: cursor } : { limit: '2' });
      const page: { data: number[]; next_cursor: string | null } = paginate(rows, query, (r) => r.seq);
      seen.push(...page.data);
      cursor = page.next_cursor;
    } while (cursor);
    assert.deepEqual(seen, [5, 4, 3, 2, 1]);
    assert.throws(() => paginate(rows, new URLSearchParams({ next_cursor: 'bogus' }), (r) => r), (e: unknown) => e instanceof ApiError && e.status === 422);
    assert.throws(() => paginate(rows, new URLSearchParams({ limit: '0' }), (r) => r), (e: unknown) => e instanceof ApiError && e.status === 422);
  });

  test('a fault answers exactly `count` matching calls', () => {
    const faults = new Faults();
    faults.add({ count: 2, status: 503, pathPrefix: '/v2/spot' });
    assert.equal(faults.take('/v2/me'), undefined);
    assert.equal(faults.take('/v2/spot/bids')?.status, 503);
    assert.equal(faults.take('/v2/spot/availability')?.status, 503);
    assert.equal(faults.take('/v2/spot/bids'), undefined);
    assert.deepEqual(faults.list(), []);
  });
});
