//! Just enough of Kubernetes' `resource.Quantity` to add requests and limits and print the
//! sums in canonical form, as kubectl does in node and pod summaries.

/// How a quantity was written, which decides how a sum is printed (Go keeps the format of
/// the first operand).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    DecimalSi,
    BinarySi,
}

/// A quantity held exactly in nano-units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity {
    pub nanos: i128,
    pub format: Format,
}

const NANO: i128 = 1_000_000_000;

impl Quantity {
    pub fn zero() -> Self {
        Self {
            nanos: 0,
            format: Format::DecimalSi,
        }
    }

    /// Parse `100m`, `1.5`, `128Mi`, `1e3`, `2k`. `None` when malformed.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
            .unwrap_or(text.len());
        let (num, suffix) = text.split_at(split);
        let (mult_num, mult_den, format): (i128, i128, Format) = match suffix {
            "" => (1, 1, Format::DecimalSi),
            "n" => (1, 1_000_000_000, Format::DecimalSi),
            "u" => (1, 1_000_000, Format::DecimalSi),
            "m" => (1, 1000, Format::DecimalSi),
            "k" => (1000, 1, Format::DecimalSi),
            "M" => (1_000_000, 1, Format::DecimalSi),
            "G" => (1_000_000_000, 1, Format::DecimalSi),
            "T" => (1_000_000_000_000, 1, Format::DecimalSi),
            "P" => (1_000_000_000_000_000, 1, Format::DecimalSi),
            "E" => (1_000_000_000_000_000_000, 1, Format::DecimalSi),
            "Ki" => (1 << 10, 1, Format::BinarySi),
            "Mi" => (1 << 20, 1, Format::BinarySi),
            "Gi" => (1 << 30, 1, Format::BinarySi),
            "Ti" => (1 << 40, 1, Format::BinarySi),
            "Pi" => (1 << 50, 1, Format::BinarySi),
            "Ei" => (1 << 60, 1, Format::BinarySi),
            s if s.starts_with(['e', 'E']) => {
                let exp: i32 = s[1..].parse().ok()?;
                if !(-9..=18).contains(&exp) {
                    return None;
                }
                if exp >= 0 {
                    (10i128.pow(exp as u32), 1, Format::DecimalSi)
                } else {
                    (1, 10i128.pow((-exp) as u32), Format::DecimalSi)
                }
            }
            _ => return None,
        };
        let (neg, num) = match num.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, num.strip_prefix('+').unwrap_or(num)),
        };
        let (int_part, frac_part) = num.split_once('.').unwrap_or((num, ""));
        if int_part.is_empty() && frac_part.is_empty() {
            return None;
        }
        let int: i128 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().ok()?
        };
        let frac_digits = frac_part.len().min(18) as u32;
        let frac: i128 = if frac_part.is_empty() {
            0
        } else {
            frac_part[..frac_digits as usize].parse().ok()?
        };
        let scale = 10i128.pow(frac_digits);
        // value = (int + frac/scale) * mult_num / mult_den, in nanos; round up like Go.
        let numer = (int * scale + frac)
            .checked_mul(mult_num)?
            .checked_mul(NANO)?;
        let denom = scale * mult_den;
        let mut nanos = numer / denom;
        if numer % denom != 0 {
            nanos += 1;
        }
        Some(Self {
            nanos: if neg { -nanos } else { nanos },
            format,
        })
    }

    /// Add `other`, keeping this quantity's format (Go's `Quantity.Add`).
    pub fn add(&mut self, other: &Quantity) {
        self.nanos += other.nanos;
    }

    /// Whole units, rounded up (Go's `Value()`).
    pub fn value(&self) -> i128 {
        let v = self.nanos / NANO;
        if self.nanos % NANO > 0 { v + 1 } else { v }
    }

    /// Thousandths, rounded up (Go's `MilliValue()`).
    pub fn milli_value(&self) -> i128 {
        let unit = NANO / 1000;
        let v = self.nanos / unit;
        if self.nanos % unit > 0 { v + 1 } else { v }
    }

    /// Canonical text (Go's `Quantity.String()`).
    pub fn canonical(&self) -> String {
        if self.nanos == 0 {
            return "0".to_string();
        }
        let format = if self.format == Format::BinarySi
            && (self.nanos.abs() < 1024 * NANO || self.nanos % NANO != 0)
        {
            Format::DecimalSi
        } else {
            self.format
        };
        match format {
            Format::BinarySi => {
                let mut v = self.nanos / NANO;
                let suffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
                let mut idx = 0;
                while idx + 1 < suffixes.len() && v % 1024 == 0 && v != 0 {
                    v /= 1024;
                    idx += 1;
                }
                format!("{v}{}", suffixes[idx])
            }
            Format::DecimalSi => {
                // Largest exponent (multiple of 3, from -9) that keeps the mantissa whole.
                let suffixes = ["n", "u", "m", "", "k", "M", "G", "T", "P", "E"];
                let mut v = self.nanos;
                let mut idx = 0;
                while idx + 1 < suffixes.len() && v % 1000 == 0 {
                    v /= 1000;
                    idx += 1;
                }
                format!("{v}{}", suffixes[idx])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        Quantity::parse(s)
            .map(|q| q.canonical())
            .unwrap_or_default()
    }

    #[test]
    fn canonical_forms() {
        assert_eq!(canon("100m"), "100m");
        assert_eq!(canon("1000m"), "1");
        assert_eq!(canon("0.5"), "500m");
        assert_eq!(canon("2000"), "2k");
        assert_eq!(canon("128Mi"), "128Mi");
        assert_eq!(canon("1024Ki"), "1Mi");
        assert_eq!(canon("8145440Ki"), "8145440Ki");
        assert_eq!(canon("512"), "512");
        assert_eq!(canon("1e3"), "1k");
        assert!(Quantity::parse("12zz").is_none());
    }

    #[test]
    fn sums_keep_the_first_format() {
        let mut a = Quantity::parse("500m").unwrap_or(Quantity::zero());
        a.add(&Quantity::parse("500m").unwrap_or(Quantity::zero()));
        assert_eq!(a.canonical(), "1");
        let mut m = Quantity::parse("128Mi").unwrap_or(Quantity::zero());
        m.add(&Quantity::parse("256Mi").unwrap_or(Quantity::zero()));
        assert_eq!(m.canonical(), "384Mi");
        assert_eq!(m.value(), 384 * 1024 * 1024);
        assert_eq!(
            Quantity::parse("3800m").map(|q| q.milli_value()),
            Some(3800)
        );
    }
}
