//! QR codes for invite codes: drawn on the coordinator's screen, and read back from a photo or
//! a screenshot by the person joining (typing 90 characters from a phone screen invites typos;
//! the invite code's checksum catches those, but a picture avoids them).
//!
//! The QR code carries exactly the text of the invite code, so a code read from an image goes
//! through the same checks as a typed one ([`crate::format::enrol::Invite::from_code`]).

use std::io::{Cursor, Read};
use std::path::Path;

use image::{ImageReader, Limits};
use qrcode::{EcLevel, QrCode};
use thiserror::Error;

/// Images larger than this are refused before decoding: a phone photo is well under it.
pub const MAX_IMAGE_BYTES: u64 = 32 * 1024 * 1024;
/// Neither side of a decoded image may exceed this many pixels (a 48-megapixel photo is
/// 8000 × 6000).
const MAX_SIDE: u32 = 10_000;
/// Memory the image decoder may use for one picture.
const MAX_DECODE_ALLOC: u64 = 512 * 1024 * 1024;

/// Why no QR code text came out of an image.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum QrError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// The file is too large to be a photo or screenshot of a code.
    #[error(
        "the image is {bytes} bytes, more than the {MAX_IMAGE_BYTES} a photo or screenshot of a \
         QR code needs; crop it or take a smaller picture"
    )]
    TooLarge {
        /// Its size.
        bytes: u64,
    },
    /// The file is not a PNG or JPEG image, or it is damaged or too large once decoded.
    #[error(
        "this is not a PNG or JPEG image that can be read ({reason}); take a screenshot or photo of the QR code and choose that"
    )]
    NotAnImage {
        /// What the decoder said.
        reason: String,
    },
    /// No QR code was found, or none could be read.
    #[error(
        "no readable QR code in this image; take a sharper, closer picture with the whole code \
         in view, or type the invite code instead"
    )]
    NoCode,
    /// The text to draw does not fit in a QR code.
    #[error("the text is too long for a QR code ({0})")]
    TooLong(String),
}

impl QrError {
    /// A stable machine-readable code for the error.
    pub fn code(&self) -> &'static str {
        match self {
            QrError::Io { .. } => "io",
            QrError::TooLarge { .. } => "image-too-large",
            QrError::NotAnImage { .. } => "not-an-image",
            QrError::NoCode => "no-qr-code",
            QrError::TooLong(_) => "qr-too-long",
        }
    }
}

/// The QR code of `text` as an SVG document (black on white, with the quiet zone readers
/// need), at least 240 pixels wide.
pub fn to_svg(text: &str) -> Result<String, QrError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| QrError::TooLong(e.to_string()))?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build())
}

/// The text of the first QR code found in the PNG or JPEG image at `path`.
pub fn read_image(path: &Path) -> Result<String, QrError> {
    let io = |source| QrError::Io {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let bytes = file.metadata().map_err(io)?.len();
    if bytes > MAX_IMAGE_BYTES {
        return Err(QrError::TooLarge { bytes });
    }
    let mut buffer = Vec::with_capacity(usize::try_from(bytes).unwrap_or(0));
    // `take`: the file may grow between the size check and the read.
    file.take(MAX_IMAGE_BYTES + 1)
        .read_to_end(&mut buffer)
        .map_err(io)?;
    read_image_bytes(&buffer)
}

/// The text of the first QR code found in a PNG or JPEG image held in memory.
pub fn read_image_bytes(bytes: &[u8]) -> Result<String, QrError> {
    if bytes.len() as u64 > MAX_IMAGE_BYTES {
        return Err(QrError::TooLarge {
            bytes: bytes.len() as u64,
        });
    }
    let not_an_image = |reason: String| QrError::NotAnImage { reason };
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| not_an_image(e.to_string()))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    let picture = reader
        .decode()
        .map_err(|e| not_an_image(e.to_string()))?
        .into_luma8();
    let (width, height) = picture.dimensions();
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(width as usize, height as usize, |x, y| {
            picture.get_pixel(x as u32, y as u32).0[0]
        });
    prepared
        .detect_grids()
        .into_iter()
        .find_map(|grid| grid.decode().ok().map(|(_, text)| text))
        .ok_or(QrError::NoCode)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{GrayImage, Luma};

    /// Draws `text` as a QR code the way a screen would show it: `scale` pixels per module,
    /// a white quiet zone, encoded as `format`.
    fn picture(text: &str, scale: u32, format: image::ImageFormat) -> Vec<u8> {
        let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).unwrap();
        let modules = code.width() as u32;
        let side = (modules + 8) * scale;
        let colors = code.to_colors();
        let image = GrayImage::from_fn(side, side, |x, y| {
            let (mx, my) = (x / scale, y / scale);
            let dark = (4..modules + 4).contains(&mx)
                && (4..modules + 4).contains(&my)
                && colors[((my - 4) * modules + (mx - 4)) as usize] == qrcode::Color::Dark;
            Luma([if dark { 0 } else { 255 }])
        });
        let mut bytes = Vec::new();
        image
            .write_to(&mut Cursor::new(&mut bytes), format)
            .unwrap();
        bytes
    }

    const CODE: &str = "SP-AEAQC-AIBAE-AQCAI-BAEAQ-CAIBA-EAQCA-IBAEA-QCAIB-AEAQC-AIBAE-AQCAI-\
                        BAEAQ-CAIBA-EAQCA-IBAEA-QCAIB-AEAQC-AIBAE-AQCAI-BAEAQ-CAIBA";

    #[test]
    fn a_drawn_code_reads_back_from_png_and_jpeg() {
        for format in [image::ImageFormat::Png, image::ImageFormat::Jpeg] {
            let bytes = picture(CODE, 6, format);
            assert_eq!(read_image_bytes(&bytes).unwrap(), CODE, "{format:?}");
        }
    }

    #[test]
    fn a_file_on_disk_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("invite.png");
        std::fs::write(&path, picture(CODE, 4, image::ImageFormat::Png)).unwrap();
        assert_eq!(read_image(&path).unwrap(), CODE);
    }

    #[test]
    fn the_svg_is_a_drawing_of_the_code() {
        let svg = to_svg(CODE).unwrap();
        assert!(svg.starts_with("<?xml"), "{}", &svg[..40]);
        assert!(svg.contains("<svg") && svg.contains("<path"), "{svg}");
    }

    #[test]
    fn pictures_without_a_code_and_other_files_are_told_apart() {
        let blank = GrayImage::from_pixel(200, 200, Luma([255]));
        let mut bytes = Vec::new();
        blank
            .write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png)
            .unwrap();
        assert!(matches!(read_image_bytes(&bytes), Err(QrError::NoCode)));
        let text = b"name,phone\nDaw Aye,09 123 4567\n";
        assert!(matches!(
            read_image_bytes(text),
            Err(QrError::NotAnImage { .. })
        ));
        // A PNG whose header claims 100 000 pixels of width is refused, not decoded (by the
        // size limit or the header's checksum, whichever the decoder checks first).
        let mut huge = picture(CODE, 1, image::ImageFormat::Png);
        huge[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        assert!(matches!(
            read_image_bytes(&huge),
            Err(QrError::NotAnImage { .. })
        ));
    }

    #[test]
    fn oversized_files_are_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.png");
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(MAX_IMAGE_BYTES + 1).unwrap();
        assert!(matches!(read_image(&path), Err(QrError::TooLarge { .. })));
    }
}
