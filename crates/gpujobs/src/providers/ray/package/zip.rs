//! A stored (uncompressed) zip, as Ray's client writes a package.

/// A zip whose entries are stored, not compressed (as Ray's client writes
/// them; the zip format without ZIP64, which [`super::MAX_PACKAGE_BYTES`]
/// and [`super::MAX_ENTRIES`] keep it within).
#[derive(Default)]
pub(super) struct StoredZip {
    out: Vec<u8>,
    central: Vec<u8>,
    count: u16,
}

impl StoredZip {
    const VERSION: u16 = 20;
    /// File names are UTF-8.
    const UTF8: u16 = 1 << 11;
    /// Made on Unix, so the modes in the external attributes are read.
    const MADE_BY_UNIX: u16 = (3 << 8) | Self::VERSION;
    /// 1980-01-01 00:00, the earliest date the format has: every package
    /// of the same files has the same bytes.
    const DATE: u16 = (1 << 5) | 1;

    pub(super) fn len(&self) -> u64 {
        (self.out.len() + self.central.len()) as u64
    }

    pub(super) fn add(&mut self, name: &str, data: &[u8], mode: u32, is_dir: bool) {
        let crc = crc32fast::hash(data);
        let offset = self.out.len() as u32;
        let size = data.len() as u32;
        let name_len = name.len() as u16;
        let common = |buf: &mut Vec<u8>| {
            put16(buf, Self::VERSION);
            put16(buf, Self::UTF8);
            put16(buf, 0); // stored
            put16(buf, 0); // time
            put16(buf, Self::DATE);
            put32(buf, crc);
            put32(buf, size);
            put32(buf, size);
            put16(buf, name_len);
            put16(buf, 0); // extra field length
        };
        put32(&mut self.out, 0x0403_4b50);
        common(&mut self.out);
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(data);

        put32(&mut self.central, 0x0201_4b50);
        put16(&mut self.central, Self::MADE_BY_UNIX);
        common(&mut self.central);
        put16(&mut self.central, 0); // comment length
        put16(&mut self.central, 0); // disk
        put16(&mut self.central, 0); // internal attributes
        // The Unix mode above, and MS-DOS's directory bit below.
        let dos_directory = if is_dir { 0x10 } else { 0 };
        put32(&mut self.central, (mode << 16) | dos_directory);
        put32(&mut self.central, offset);
        self.central.extend_from_slice(name.as_bytes());
        self.count += 1;
    }

    pub(super) fn finish(mut self) -> Vec<u8> {
        let (offset, size) = (self.out.len() as u32, self.central.len() as u32);
        self.out.append(&mut self.central);
        put32(&mut self.out, 0x0605_4b50);
        put16(&mut self.out, 0); // this disk
        put16(&mut self.out, 0); // the disk the directory starts on
        put16(&mut self.out, self.count);
        put16(&mut self.out, self.count);
        put32(&mut self.out, size);
        put32(&mut self.out, offset);
        put16(&mut self.out, 0); // comment length
        self.out
    }
}

fn put16(buf: &mut Vec<u8>, v: u16) {
    buf.extend_from_slice(&v.to_le_bytes());
}

fn put32(buf: &mut Vec<u8>, v: u32) {
    buf.extend_from_slice(&v.to_le_bytes());
}
