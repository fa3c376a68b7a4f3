//! The spool: an append-only file of one record per line, written while the database cannot take
//! results and replayed into it in order once it can.
//!
//! Why it is shaped this way:
//! - a record is appended with ONE `write` of the whole line and its newline, then fsynced, so a
//!   crash can only leave a torn last line, never glue two records together; that torn tail is cut
//!   off (and set aside) when the spool is opened;
//! - lines are read as bytes: a line that is not UTF-8, not JSON or refused for good is set aside
//!   in `<spool>.rejected` with its reason, and never takes its neighbours with it;
//! - replay progress is a byte offset kept in `<spool>.offset`, so a failed replay costs what it
//!   read, never a rewrite of the file: replaying a record costs the same whatever the spool size;
//! - appends and replays take different locks: a replay waiting on the database never holds up
//!   an append (which may come from a channel thread when the writers' queue is full).

use parking_lot::Mutex;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// What the replay did with one line.
#[derive(Debug, Clone, PartialEq)]
pub enum Disposition {
    /// Written (or already there): move on.
    Done,
    /// This line can never be written: keep it aside with the reason, move on.
    SetAside(String),
    /// The database is not taking records now: stop here, try again later from this line.
    Retry,
}

#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct ReplayOutcome {
    pub done: u64,
    pub set_aside: u64,
    /// The spool was emptied and removed.
    pub finished: bool,
}

pub struct Spool {
    path: PathBuf,
    offset_path: PathBuf,
    rejected_path: PathBuf,
    append: Mutex<()>,
    replay: Mutex<()>,
    /// Held while `<spool>.rejected` is appended to or rewritten.
    rejected: Mutex<()>,
    pending: AtomicBool,
}

impl Spool {
    /// Opens (without creating) the spool at `path`, cutting off a torn last line left by a crash.
    /// Returns the spool and how many bytes were set aside that way.
    pub fn open(path: &Path) -> io::Result<(Spool, usize)> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        let spool = Spool {
            path: path.to_path_buf(),
            offset_path: with_suffix(path, ".offset"),
            rejected_path: with_suffix(path, ".rejected"),
            append: Mutex::new(()),
            replay: Mutex::new(()),
            rejected: Mutex::new(()),
            pending: AtomicBool::new(false),
        };
        let cut = spool.cut_torn_tail()?;
        let len = fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let offset = spool.read_offset();
        if len == 0 || offset == len {
            // Nothing, or fully replayed before a stop that came before the removal.
            spool.remove_files();
        } else {
            if offset > len {
                // Not this spool's offset: replaying from the start is safe (writes are idempotent).
                let _ = fs::remove_file(&spool.offset_path);
            }
            spool.pending.store(true, Ordering::SeqCst);
        }
        Ok((spool, cut))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn rejected_path(&self) -> &Path {
        &self.rejected_path
    }

    /// Records wait in the spool: new ones must queue up behind them to keep the order.
    pub fn pending(&self) -> bool {
        self.pending.load(Ordering::SeqCst)
    }

    /// Appends one record (a line without its newline) durably.
    pub fn append(&self, line: &[u8]) -> io::Result<()> {
        self.append_all(&[line])
    }

    /// Appends records with one write and one fsync (many records at unload).
    pub fn append_all(&self, lines: &[&[u8]]) -> io::Result<()> {
        let mut bytes = Vec::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
        for line in lines {
            debug_assert!(!line.contains(&b'\n'));
            bytes.extend_from_slice(line);
            bytes.push(b'\n');
        }
        let _guard = self.append.lock();
        let mut file = OpenOptions::new().create(true).append(true).open(&self.path)?;
        let before = file.metadata()?.len();
        if let Err(e) = file.write_all(&bytes).and_then(|()| file.sync_data()) {
            // A short write (disk full) must not leave a fragment the next record would be glued to.
            let _ = file.set_len(before).and_then(|()| file.sync_data());
            return Err(e);
        }
        self.pending.store(true, Ordering::SeqCst);
        Ok(())
    }

    /// Records not yet replayed (complete lines after the replay offset).
    pub fn waiting(&self) -> usize {
        let Ok(mut file) = File::open(&self.path) else { return 0 };
        if file.seek(SeekFrom::Start(self.read_offset())).is_err() {
            return 0;
        }
        let mut count = 0;
        let mut buf = [0u8; 64 * 1024];
        while let Ok(n) = file.read(&mut buf) {
            if n == 0 {
                break;
            }
            count += buf[..n].iter().filter(|b| **b == b'\n').count();
        }
        count
    }

    /// The records not yet replayed, as lines without their newline.
    pub fn waiting_lines(&self) -> Vec<Vec<u8>> {
        let Ok(mut file) = File::open(&self.path) else { return Vec::new() };
        let mut bytes = Vec::new();
        if file.seek(SeekFrom::Start(self.read_offset())).is_err() || file.read_to_end(&mut bytes).is_err() {
            return Vec::new();
        }
        bytes.split_inclusive(|b| *b == b'\n').filter_map(|l| l.strip_suffix(b"\n")).map(<[u8]>::to_vec).collect()
    }

    /// Keeps a line that can never be written, with why, in `<spool>.rejected`.
    pub fn set_aside(&self, line: &[u8], reason: &str) {
        let mut entry = format!("# {}: {}\n", unix_seconds(), reason.replace('\n', " ")).into_bytes();
        entry.extend_from_slice(line);
        entry.push(b'\n');
        let _rejected = self.rejected.lock();
        let written = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.rejected_path)
            .and_then(|mut f| f.write_all(&entry).and_then(|()| f.sync_data()));
        if let Err(e) = written {
            log::error!("cannot keep a rejected record in {}: {e}; the record follows: {}", self.rejected_path.display(), String::from_utf8_lossy(line));
        }
    }

    /// Removes the waiting lines `matches` picks (and the set-aside entries `matches_rejected`
    /// picks, with their reason lines): the right to erasure reaches records not yet in the
    /// database. Waits for a replay in progress; appends wait only while the lines appended
    /// since the start are filtered and the file is renamed. Returns the waiting lines removed
    /// (the caller deletes what they point at) and how many set-aside entries went.
    pub fn erase(&self, matches: impl Fn(&[u8]) -> bool, matches_rejected: impl Fn(&[u8]) -> bool) -> io::Result<(Vec<Vec<u8>>, Vec<Vec<u8>>)> {
        let _replaying = self.replay.lock(); // the offset stays put meanwhile
        let mut removed = Vec::new();
        // Complete lines `matches` picks go to `removed`, everything else to `kept`.
        let keep = |bytes: &[u8], kept: &mut Vec<u8>, removed: &mut Vec<Vec<u8>>| {
            for line in bytes.split_inclusive(|b| *b == b'\n') {
                let record = line.strip_suffix(b"\n").unwrap_or(line);
                if line.ends_with(b"\n") && matches(record) {
                    removed.push(record.to_vec());
                } else {
                    kept.extend_from_slice(line);
                }
            }
        };
        match fs::read(&self.path) {
            Ok(snapshot) => {
                let offset = (self.read_offset() as usize).min(snapshot.len());
                let mut kept = Vec::with_capacity(snapshot.len() - offset);
                // A last line still being appended is kept whole: only complete lines are judged.
                let complete = snapshot.iter().rposition(|b| *b == b'\n').map_or(offset, |i| (i + 1).max(offset));
                keep(&snapshot[offset..complete], &mut kept, &mut removed);
                if !removed.is_empty() {
                    let tmp = with_suffix(&self.path, ".tmp");
                    let mut file = File::create(&tmp)?;
                    file.write_all(&kept)?;
                    let _appending = self.append.lock();
                    // What was appended since the snapshot (and the partial line it ended with).
                    let mut tail = Vec::new();
                    File::open(&self.path)?.read_at_end_from(complete as u64, &mut tail)?;
                    let mut more = Vec::new();
                    keep(&tail, &mut more, &mut removed);
                    file.write_all(&more)?;
                    file.sync_all()?;
                    // The offset goes first: a crash before the rename replays the old file from
                    // its start (writes are idempotent), never skips into the new one.
                    let offset_before = self.read_offset();
                    let _ = fs::remove_file(&self.offset_path);
                    if let Err(e) = fs::rename(&tmp, &self.path) {
                        let _ = fs::write(&self.offset_path, format!("{offset_before:020}\n"));
                        let _ = fs::remove_file(&tmp);
                        return Err(e);
                    }
                    if kept.is_empty() && more.is_empty() {
                        self.remove_files();
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let _rejected = self.rejected.lock();
        let mut scrubbed = Vec::new();
        if let Ok(text) = fs::read(&self.rejected_path) {
            let mut kept = Vec::with_capacity(text.len());
            let mut reason: Option<&[u8]> = None;
            for line in text.split_inclusive(|b| *b == b'\n') {
                if line.starts_with(b"# ") && reason.is_none() {
                    reason = Some(line);
                    continue;
                }
                if matches_rejected(line) {
                    scrubbed.push(line.strip_suffix(b"\n").unwrap_or(line).to_vec());
                } else {
                    kept.extend_from_slice(reason.unwrap_or_default());
                    kept.extend_from_slice(line);
                }
                reason = None;
            }
            if !scrubbed.is_empty() {
                replace_file(&self.rejected_path, &kept)?;
            }
        }
        Ok((removed, scrubbed))
    }

    /// Hands each waiting line, in order, to `write`. Returns None when another thread replays.
    pub fn replay(&self, mut write: impl FnMut(&[u8]) -> Disposition) -> Option<io::Result<ReplayOutcome>> {
        let _replaying = self.replay.try_lock()?;
        Some(self.replay_locked(&mut write))
    }

    fn replay_locked(&self, write: &mut dyn FnMut(&[u8]) -> Disposition) -> io::Result<ReplayOutcome> {
        let mut outcome = ReplayOutcome::default();
        let len = fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0);
        // An offset past the end is not this spool's: start over (writes are idempotent).
        let mut offset = Some(self.read_offset()).filter(|o| *o <= len).unwrap_or(0);
        let offset_file = OpenOptions::new().create(true).write(true).truncate(false).open(&self.offset_path)?;
        loop {
            let pass_start = offset;
            let file = match File::open(&self.path) {
                Ok(f) => f,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    // Removed by an earlier pass; an append may have recreated it since.
                    let _appending = self.append.lock();
                    if !self.path.exists() {
                        self.pending.store(false, Ordering::SeqCst);
                        outcome.finished = true;
                    }
                    return Ok(outcome); // a new spool is replayed by the next call
                }
                Err(e) => return Err(e),
            };
            let mut reader = BufReader::new(file);
            reader.seek(SeekFrom::Start(offset))?;
            let mut line = Vec::new();
            loop {
                line.clear();
                let n = reader.read_until(b'\n', &mut line)?;
                if n == 0 || line.last() != Some(&b'\n') {
                    break; // end, or a line still being appended: read it next time
                }
                let record = &line[..line.len() - 1];
                if !record.iter().all(u8::is_ascii_whitespace) {
                    match write(record) {
                        Disposition::Done => outcome.done += 1,
                        Disposition::SetAside(reason) => {
                            self.set_aside(record, &format!("byte {offset}: {reason}"));
                            outcome.set_aside += 1;
                        }
                        Disposition::Retry => return Ok(outcome),
                    }
                }
                offset += n as u64;
                // Fixed width: one small write replaces the previous offset in place.
                offset_file.write_all_at(format!("{offset:020}\n").as_bytes(), 0)?;
                offset_file.sync_data()?;
            }
            // Everything read: remove the spool unless a record was appended meanwhile.
            let _appending = self.append.lock();
            let len = fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0);
            if len <= offset {
                self.remove_files();
                outcome.finished = true;
                return Ok(outcome);
            }
            if offset == pass_start {
                // Only an incomplete line is left (being appended, or cut short): next time.
                return Ok(outcome);
            }
        }
    }

    fn read_offset(&self) -> u64 {
        fs::read_to_string(&self.offset_path).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0)
    }

    /// The offset goes first: a stop between the two removals leaves a spool replayed again from
    /// its start (harmless), never an offset that would skip the records of the next spool.
    fn remove_files(&self) {
        let _ = fs::remove_file(&self.offset_path);
        let _ = fs::remove_file(&self.path);
        self.pending.store(false, Ordering::SeqCst);
    }

    /// A spool whose last byte is not a newline was torn by a crash mid-append: keep the complete
    /// lines, set the fragment aside.
    fn cut_torn_tail(&self) -> io::Result<usize> {
        let file = match OpenOptions::new().read(true).write(true).open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e),
        };
        let len = file.metadata()?.len();
        if len == 0 {
            return Ok(0);
        }
        // Scan back from the end for the last newline, a block at a time.
        let mut end = len;
        let mut keep = 0u64;
        let mut block = vec![0u8; 64 * 1024];
        'scan: while end > 0 {
            let start = end.saturating_sub(block.len() as u64);
            let chunk = &mut block[..(end - start) as usize];
            file.read_exact_at(chunk, start)?;
            if let Some(i) = chunk.iter().rposition(|b| *b == b'\n') {
                keep = start + i as u64 + 1;
                break 'scan;
            }
            end = start;
        }
        if keep == len {
            return Ok(0);
        }
        let mut fragment = vec![0u8; (len - keep) as usize];
        file.read_exact_at(&mut fragment, keep)?;
        self.set_aside(&fragment, &format!("byte {keep}: torn last line (the process stopped while writing it), cut off"));
        file.set_len(keep)?;
        file.sync_all()?;
        Ok(fragment.len())
    }
}

trait ReadFrom {
    /// Reads everything from byte `from` to the end into `out`.
    fn read_at_end_from(&mut self, from: u64, out: &mut Vec<u8>) -> io::Result<()>;
}

impl ReadFrom for File {
    fn read_at_end_from(&mut self, from: u64, out: &mut Vec<u8>) -> io::Result<()> {
        self.seek(SeekFrom::Start(from))?;
        self.read_to_end(out).map(|_| ())
    }
}

/// Writes `bytes` to a temporary file beside `path`, syncs it, and renames it over `path`.
fn replace_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = with_suffix(path, ".tmp");
    let mut file = File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    fs::rename(&tmp, path)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

fn unix_seconds() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_spool(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("minibot-spool-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir.join("results.spool")
    }

    fn replay_all(spool: &Spool) -> (Vec<Vec<u8>>, ReplayOutcome) {
        let mut seen = Vec::new();
        let outcome = spool
            .replay(|line| {
                seen.push(line.to_vec());
                Disposition::Done
            })
            .unwrap()
            .unwrap();
        (seen, outcome)
    }

    #[test]
    fn appends_whole_lines_and_replays_them_in_order() {
        let path = temp_spool("order");
        let (spool, cut) = Spool::open(&path).unwrap();
        assert_eq!(cut, 0);
        assert!(!spool.pending());
        for i in 0..5 {
            spool.append(format!("{{\"n\":{i}}}").as_bytes()).unwrap();
        }
        assert!(spool.pending());
        assert_eq!(spool.waiting(), 5);
        let (seen, outcome) = replay_all(&spool);
        assert_eq!(seen.len(), 5);
        assert_eq!(seen[3], b"{\"n\":3}");
        assert!(outcome.finished);
        assert!(!path.exists() && !spool.pending());
    }

    #[test]
    fn a_torn_last_line_is_cut_off_at_open_and_its_neighbours_kept() {
        let path = temp_spool("torn");
        let torn = b"{\"n\":3, \"tex";
        fs::write(&path, [&b"{\"n\":1}\n{\"n\":2}\n"[..], torn].concat()).unwrap();
        let (spool, cut) = Spool::open(&path).unwrap();
        assert_eq!(cut, torn.len());
        assert_eq!(fs::read(&path).unwrap(), b"{\"n\":1}\n{\"n\":2}\n");
        let rejected = fs::read_to_string(spool.rejected_path()).unwrap();
        assert!(rejected.contains("torn last line") && rejected.contains("{\"n\":3, \"tex"), "{rejected}");
        // The next append starts on a line of its own.
        spool.append(b"{\"n\":4}").unwrap();
        let (seen, _) = replay_all(&spool);
        assert_eq!(seen, vec![b"{\"n\":1}".to_vec(), b"{\"n\":2}".to_vec(), b"{\"n\":4}".to_vec()]);
    }

    #[test]
    fn bad_lines_are_set_aside_one_by_one() {
        let path = temp_spool("bad");
        let mut bytes = b"{\"n\":1}\n".to_vec();
        bytes.extend_from_slice(&[0xff, 0xfe, b'x', b'\n']);
        bytes.extend_from_slice(b"{\"n\":3}\n");
        fs::write(&path, bytes).unwrap();
        let (spool, _) = Spool::open(&path).unwrap();
        let mut good = 0;
        let outcome = spool
            .replay(|line| match std::str::from_utf8(line) {
                Ok(_) => {
                    good += 1;
                    Disposition::Done
                }
                Err(_) => Disposition::SetAside("not UTF-8".into()),
            })
            .unwrap()
            .unwrap();
        assert_eq!((good, outcome.set_aside, outcome.finished), (2, 1, true));
        let rejected = fs::read(spool.rejected_path()).unwrap();
        assert!(rejected.windows(9).any(|w| w == b"not UTF-8"));
        assert!(rejected.windows(3).any(|w| w == [0xff, 0xfe, b'x']));
    }

    #[test]
    fn a_failed_replay_resumes_where_it_stopped_without_rewriting() {
        let path = temp_spool("resume");
        let (spool, _) = Spool::open(&path).unwrap();
        for i in 0..10 {
            spool.append(format!("{i}").as_bytes()).unwrap();
        }
        let size = fs::metadata(&path).unwrap().len();
        let mut calls = 0;
        let outcome = spool
            .replay(|_| {
                calls += 1;
                if calls <= 4 {
                    Disposition::Done
                } else {
                    Disposition::Retry
                }
            })
            .unwrap()
            .unwrap();
        assert_eq!((outcome.done, outcome.finished), (4, false));
        assert_eq!(fs::metadata(&path).unwrap().len(), size, "the spool is not rewritten");
        assert_eq!(spool.waiting(), 6);
        // A restart (new Spool on the same file) resumes at the same place.
        drop(spool);
        let (spool, _) = Spool::open(&path).unwrap();
        assert!(spool.pending());
        let (seen, outcome) = replay_all(&spool);
        assert_eq!(seen.first().map(Vec::as_slice), Some(&b"4"[..]));
        assert_eq!((seen.len(), outcome.finished), (6, true));
    }

    #[test]
    fn appends_during_a_replay_are_replayed_too() {
        let path = temp_spool("concurrent");
        let (spool, _) = Spool::open(&path).unwrap();
        spool.append(b"first").unwrap();
        let spool = std::sync::Arc::new(spool);
        let mut seen = Vec::new();
        let other = spool.clone();
        let outcome = spool
            .replay(|line| {
                if line == b"first" {
                    other.append(b"second").unwrap();
                }
                seen.push(line.to_vec());
                Disposition::Done
            })
            .unwrap()
            .unwrap();
        assert_eq!(seen, vec![b"first".to_vec(), b"second".to_vec()]);
        assert!(outcome.finished && !path.exists());
    }

    #[test]
    fn an_incomplete_last_line_never_makes_the_replay_spin() {
        let path = temp_spool("incomplete");
        let (spool, _) = Spool::open(&path).unwrap();
        spool.append(b"whole").unwrap();
        // As a short write would leave it, if it were not cut back: the replay must return.
        OpenOptions::new().append(true).open(&path).unwrap().write_all(b"frag").unwrap();
        let (seen, outcome) = replay_all(&spool);
        assert_eq!((seen, outcome.finished), (vec![b"whole".to_vec()], false));
        assert!(spool.pending());
    }

    #[test]
    fn erasure_removes_a_person_s_waiting_and_set_aside_records_only() {
        let path = temp_spool("erase");
        let (spool, _) = Spool::open(&path).unwrap();
        for line in ["{\"n\":1,\"phone\":\"+33600000001\"}", "{\"n\":2,\"phone\":\"+33600000002\"}", "{\"n\":3,\"phone\":\"+33600000001\"}"] {
            spool.append(line.as_bytes()).unwrap();
        }
        spool.set_aside(b"{\"phone\":\"+33600000002\", broken", "not JSON");
        spool.set_aside(b"{\"phone\":\"+33600000009\", broken", "not JSON");
        let person = |l: &[u8]| l.windows(9).any(|w| w == b"600000002");
        let (removed, scrubbed) = spool.erase(person, person).unwrap();
        assert_eq!((removed.len(), scrubbed.len()), (1, 1));
        assert!(person(&scrubbed[0]), "the set-aside line itself comes back (its recording, its call)");
        assert!(person(&removed[0]));
        let (lines, _) = replay_all(&spool);
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(|l| !person(l)));
        let rejected = fs::read_to_string(spool.rejected_path()).unwrap();
        assert!(!rejected.contains("600000002") && rejected.contains("600000009"), "{rejected}");
        assert_eq!(rejected.lines().filter(|l| l.starts_with("# ")).count(), 1, "the reason went with its record");
    }

    #[test]
    fn several_records_in_one_append() {
        let path = temp_spool("batch");
        let (spool, _) = Spool::open(&path).unwrap();
        spool.append_all(&[b"a", b"b", b"c"]).unwrap();
        assert_eq!(spool.waiting(), 3);
        assert_eq!(replay_all(&spool).0.len(), 3);
    }
}
