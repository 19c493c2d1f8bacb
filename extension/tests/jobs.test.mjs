import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ago, describeSync } from '../src/lib/format.js';
import {
  MAX_JOBS,
  applyViews,
  describeBatch,
  describeJob,
  isFinal,
  jobsFromBatch,
  rememberJob,
} from '../src/lib/jobs.js';

const job = (id, extra = {}) => ({ id, url: `https://x.test/${id}`, status: 'queued', stage: '', percent: null, error: '', ...extra });

test('recent jobs: newest first, no duplicates, bounded', () => {
  let jobs = [];
  for (let id = 1; id <= MAX_JOBS + 3; id += 1) jobs = rememberJob(jobs, job(id));
  assert.equal(jobs.length, MAX_JOBS);
  assert.equal(jobs[0].id, MAX_JOBS + 3);
  jobs = rememberJob(jobs, job(MAX_JOBS + 1, { status: 'done' }));
  assert.equal(jobs.filter((j) => j.id === MAX_JOBS + 1).length, 1);
});

test('server views update status, progress and the error sentence', () => {
  const jobs = applyViews(
    [job(1), job(2)],
    [{ id: 2, status: 'failed', stage: null, percent: null, error: { message: 'The link is dead (404).' } }],
  );
  assert.equal(jobs[0].status, 'queued');
  assert.equal(describeJob(jobs[1]), 'failed: The link is dead (404).');
  assert.ok(isFinal(jobs[1]));
  assert.equal(describeJob(job(3, { status: 'downloading', stage: 'downloading', percent: 41.6 })), 'downloading 42%');
  assert.equal(describeJob(job(4, { status: 'done', percent: 100 })), 'done');
});

test('sync times and results in words', () => {
  const now = 1_000_000_000;
  assert.equal(ago(now - 10_000, now), 'just now');
  assert.equal(ago(now - 5 * 60_000, now), '5 min ago');
  assert.equal(ago(now - 3 * 3600_000, now), '3 h ago');
  assert.equal(describeSync(null, now), 'Not synced yet.');
  assert.equal(describeSync({ at: now, ok: true, total: 12, sites: 2 }, now), 'Last sync just now: 12 cookies from 2 sites.');
  assert.equal(
    describeSync({ at: now, ok: false, message: 'Cannot reach MediaFetcher.' }, now),
    'Last sync just now failed: Cannot reach MediaFetcher.',
  );
});

test('sending all found media: the queued links become jobs, the refused ones are named with the reason', () => {
  const answer = {
    results: [
      { url: 'https://x.test/a.mp4', job_id: 7, error: null },
      { url: 'ftp://x.test/b', job_id: null, error: 'Only http:// and https:// links can be downloaded.' },
      { url: 'https://x.test/c.jpg', job_id: 8, error: null },
    ],
    queued: 2,
    refused: 1,
  };
  assert.deepEqual(
    jobsFromBatch(answer).map((j) => [j.id, j.url, j.status]),
    [
      [7, 'https://x.test/a.mp4', 'queued'],
      [8, 'https://x.test/c.jpg', 'queued'],
    ],
  );
  assert.equal(
    describeBatch(answer),
    'Sent 2 of 3 links; refused: ftp://x.test/b: Only http:// and https:// links can be downloaded.',
  );
  assert.equal(describeBatch({ results: [answer.results[0]] }), 'Sent 1 link.');
});
