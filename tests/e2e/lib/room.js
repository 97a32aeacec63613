// Helpers for tests of the room page (web/js/room.js) and its SFU
// connections: what the subscriber connection receives, what the publisher
// sends, joining.

import { poll } from './harness.js';

export const MEDIA_TIMEOUT_MS = 30_000;

// Every inbound RTP stream of the page's subscriber connection (its
// getStats()), with the participant and source the SFU's offer gave its
// mid. `client`: the page's window object for the room (parleyRoom) or the
// meeting (parleyMeeting) page. `pcId` tells a replaced connection apart.
export function subscriberInbound(page, client = 'parleyRoom') {
  return page.evaluate(async (name) => {
    const room = window[name];
    const pc = room?.subscriberPc;
    if (!pc) return { pc: null, streams: [] };
    pc.__e2eId ??= Math.random().toString(36).slice(2);
    const byMid = room.subscriberTracks;
    const midOfTrack = new Map(pc.getTransceivers().filter((t) => t.mid).map((t) => [t.receiver.track.id, t.mid]));
    const streams = [];
    (await pc.getStats()).forEach((r) => {
      if (r.type !== 'inbound-rtp') return;
      const mid = r.mid ?? midOfTrack.get(r.trackIdentifier) ?? null;
      const info = mid != null ? byMid[mid] : null;
      streams.push({
        mid,
        kind: r.kind ?? r.mediaType,
        participant: info?.participant_id ?? null,
        source: info?.source ?? null,
        packetsReceived: r.packetsReceived ?? 0,
        framesDecoded: r.framesDecoded ?? 0,
        frameWidth: r.frameWidth ?? null,
        frameHeight: r.frameHeight ?? null,
      });
    });
    return { pc: pc.connectionState, pcId: pc.__e2eId, streams };
  }, client);
}

export const roomInbound = (page) => subscriberInbound(page, 'parleyRoom');

// The simulcast layers the page's publisher connection is sending.
export function publisherLayers(page) {
  return page.evaluate(async () => {
    const pc = window.parleyRoom?.publisherPc;
    if (!pc) return null;
    const out = [];
    (await pc.getStats()).forEach((r) => {
      if (r.type === 'outbound-rtp' && (r.kind ?? r.mediaType) === 'video') {
        out.push({ rid: r.rid ?? null, frameWidth: r.frameWidth ?? null, framesEncoded: r.framesEncoded ?? 0, active: r.active, limitation: r.qualityLimitationReason });
      }
    });
    return { pc: pc.connectionState, layers: out.sort((a, b) => String(a.rid).localeCompare(String(b.rid))) };
  });
}

// Waits until `pred(streams)` holds on the page; the error carries the last
// figures.
export async function waitInbound(page, pred, what, timeout = MEDIA_TIMEOUT_MS, client = 'parleyRoom') {
  let last = null;
  try {
    return await poll(async () => {
      last = await subscriberInbound(page, client);
      return pred(last.streams) ? last : null;
    }, { timeout, interval: 500, what });
  } catch (e) {
    e.message += `; last inbound ${JSON.stringify(last)}`;
    throw e;
  }
}

export const decodedVideos = (streams) => streams.filter((s) => s.kind === 'video' && s.framesDecoded > 0);
export const audibleAudios = (streams) => streams.filter((s) => s.kind === 'audio' && s.packetsReceived > 0);
export const streamOf = (streams, participant, kind, source) => streams.find((s) => s.participant === participant && s.kind === kind && (!source || s.source === source));

export async function joinViaHome(page, room) {
  await page.getByTestId('room-input').fill(room);
  await page.getByTestId('join-room').click();
  await page.getByTestId('room').waitFor({ state: 'visible' });
}

export async function waitJoined(page, count) {
  await page.waitForFunction((n) => window.parleyRoom?.state === 'joined' && window.parleyRoom.participants.length === n, count, { polling: 200, timeout: 30_000 })
    .catch(async (e) => {
      const st = await page.evaluate(() => ({ state: window.parleyRoom?.state, error: window.parleyRoom?.error, participants: window.parleyRoom?.participants?.length })).catch(() => null);
      e.message += `; room ${JSON.stringify(st)}`;
      throw e;
    });
}
