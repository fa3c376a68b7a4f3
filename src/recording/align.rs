//! Puts the two directions of a call side by side in time. Each direction arrives as frames on
//! the media thread, stamped with when they arrived; the bot's side is silent between prompts
//! (no frames at all), and either side may pause (silence suppression, a hold). Each side is
//! kept contiguous while its frames keep coming, padded with silence across a gap, and the
//! quiet side is padded up to the clock (less a margin for late frames) so the file can be
//! written as the call goes.

use std::collections::VecDeque;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The callee's audio: the left channel.
    Callee = 0,
    /// The bot's audio: the right channel.
    Bot = 1,
}

pub struct Aligner {
    /// Samples per millisecond.
    per_ms: u64,
    /// A frame starting less than this after its side's end joins it without a gap (jitter).
    join: u64,
    /// A side without frames is filled with silence up to this far behind the clock.
    margin: u64,
    /// Per side: samples placed so far (from the recording's start).
    end: [u64; 2],
    /// Per side: placed samples not yet written, from `written` on.
    pending: [VecDeque<i16>; 2],
    written: u64,
    /// Per side: the latest silence put in (position, length), while not yet written:
    /// if the frames after it come in a burst, the gap was a stall of the channel, not silence.
    last_gap: [Option<(u64, u64)>; 2],
}

impl Aligner {
    pub fn new(rate: u32) -> Aligner {
        let per_ms = u64::from(rate / 1000).max(1);
        Aligner {
            per_ms,
            join: 60 * per_ms,
            margin: 200 * per_ms,
            end: [0, 0],
            pending: [VecDeque::new(), VecDeque::new()],
            written: 0,
            last_gap: [None, None],
        }
    }

    /// A frame of `side` (already at the recording's rate) that arrived `at_ms` after the start.
    pub fn push(&mut self, side: Side, at_ms: u64, samples: &[i16]) {
        let s = side as usize;
        let clock = at_ms * self.per_ms;
        let start = clock.saturating_sub(samples.len() as u64);
        if start > self.end[s] + self.join {
            self.pad(s, start);
        }
        self.pending[s].extend(samples);
        self.end[s] += samples.len() as u64;
        self.take_back_stall(s, clock);
        self.keep_up(at_ms);
    }

    /// A side now ahead of the clock came in a burst after a stall (frames held up on their way,
    /// then delivered at once): the silence put in for the gap before it is taken back, up to the
    /// lead, so the side does not stay late for the rest of the call.
    fn take_back_stall(&mut self, s: usize, clock: u64) {
        let Some((at, length)) = self.last_gap[s] else { return };
        // More than a frame ahead (a frame ends when it arrives, give or take jitter).
        if self.end[s] <= clock + 20 * self.per_ms || at < self.written {
            return;
        }
        let excess = (self.end[s] - clock).min(length);
        let from = (at - self.written) as usize;
        self.pending[s].drain(from..from + excess as usize);
        self.end[s] -= excess;
        self.last_gap[s] = (length > excess).then_some((at, length - excess));
    }

    /// Fills each side's silence up to `now_ms` less the margin for frames still on their way.
    pub fn keep_up(&mut self, now_ms: u64) {
        let target = (now_ms * self.per_ms).saturating_sub(self.margin);
        for s in 0..2 {
            if self.end[s] < target {
                self.pad(s, target);
            }
        }
    }

    /// Silence up to `to`, remembered as the side's latest gap (joined to the previous one when
    /// it follows it) so that a burst can take it back.
    fn pad(&mut self, s: usize, to: u64) {
        let n = to.saturating_sub(self.end[s]);
        if n == 0 {
            return;
        }
        self.pending[s].extend(std::iter::repeat(0).take(n as usize));
        self.last_gap[s] = match self.last_gap[s] {
            Some((at, length)) if at + length == self.end[s] => Some((at, length + n)),
            _ => Some((self.end[s], n)),
        };
        self.end[s] = to;
    }

    /// What both sides have, interleaved (left, right), appended to `out`.
    pub fn take_ready(&mut self, out: &mut Vec<i16>) {
        let n = self.end[0].min(self.end[1]).saturating_sub(self.written);
        out.reserve(2 * n as usize);
        for _ in 0..n {
            out.push(self.pending[0].pop_front().unwrap_or(0));
            out.push(self.pending[1].pop_front().unwrap_or(0));
        }
        self.written += n;
    }

    /// Everything left, the shorter side padded: the end of the recording.
    pub fn finish(&mut self, out: &mut Vec<i16>) {
        let end = self.end[0].max(self.end[1]);
        for s in 0..2 {
            self.pad(s, end);
        }
        self.take_ready(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 16 kHz: 320 samples per 20 ms frame.
    fn frame(value: i16) -> Vec<i16> {
        vec![value; 320]
    }

    fn channel(out: &[i16], side: Side) -> Vec<i16> {
        out.iter().skip(side as usize).step_by(2).copied().collect()
    }

    #[test]
    fn the_bot_s_prompt_lands_where_it_was_played_beside_the_callee() {
        let mut a = Aligner::new(16000);
        let mut out = Vec::new();
        // The callee talks for 1 s (frames every 20 ms); the bot starts at 500 ms for 200 ms.
        for i in 1..=50u64 {
            a.push(Side::Callee, i * 20, &frame(1000));
            if (26..=35).contains(&i) {
                a.push(Side::Bot, i * 20, &frame(-500));
            }
            a.take_ready(&mut out);
        }
        a.finish(&mut out);
        let (left, right) = (channel(&out, Side::Callee), channel(&out, Side::Bot));
        assert_eq!(left.len(), 16000);
        assert_eq!(right.len(), 16000);
        assert!(left.iter().all(|s| *s == 1000));
        let first = right.iter().position(|s| *s != 0).unwrap();
        let last = right.iter().rposition(|s| *s != 0).unwrap();
        assert_eq!((first, last + 1), (500 * 16, 700 * 16), "bot audio at 500-700 ms");
    }

    #[test]
    fn jitter_joins_and_gaps_pad() {
        let mut a = Aligner::new(8000);
        let mut out = Vec::new();
        // Frames 30 ms late then on time: joined, no gap inserted.
        a.push(Side::Callee, 50, &vec![1; 160]);
        a.push(Side::Callee, 60, &vec![1; 160]);
        // Then a 1 s pause (silence suppression): padded.
        a.push(Side::Callee, 1080, &vec![2; 160]);
        a.finish(&mut out);
        let left = channel(&out, Side::Callee);
        assert_eq!(&left[..320], &[1; 320][..]);
        let second = left.iter().position(|s| *s == 2).unwrap();
        assert_eq!(second, 1060 * 8);
        assert_eq!(left.len(), 1080 * 8);
    }

    #[test]
    fn a_burst_after_a_stall_does_not_leave_the_side_late() {
        let mut a = Aligner::new(16000);
        let mut out = Vec::new();
        // Callee frames every 20 ms, except that frames 26-40 (500-800 ms of audio) are held up
        // and delivered together at 800 ms; the bot plays from 0 to 1200 ms without a hitch.
        for i in 1..=60u64 {
            let at = if (26..=40).contains(&i) { 800 } else { i * 20 };
            a.push(Side::Callee, at, &vec![i as i16; 320]);
            a.push(Side::Bot, i * 20, &frame(-1));
        }
        a.finish(&mut out);
        let left = channel(&out, Side::Callee);
        // Within a frame (the lead tolerated before taking silence back): not the 300 ms stall.
        assert!((1200 * 16..=1220 * 16).contains(&left.len()), "silence left in for the stall: {} samples", left.len());
        for i in 1..=60usize {
            let at = left.iter().position(|v| *v == i as i16).unwrap();
            assert!(at.abs_diff((i - 1) * 320) <= 320, "frame {i} at {at}, expected {}", (i - 1) * 320);
        }
    }

    #[test]
    fn a_quiet_side_lets_the_file_grow_behind_the_clock() {
        let mut a = Aligner::new(16000);
        let mut out = Vec::new();
        for i in 1..=100u64 {
            a.push(Side::Callee, i * 20, &frame(7));
        }
        a.take_ready(&mut out);
        // 2 s of callee audio; the silent bot side is filled up to 200 ms behind the clock.
        assert_eq!(out.len() / 2, 1800 * 16);
    }
}
