//! From column statistics to findings: the cluster policy, rule by rule. Each rule combines
//! what headers say with what the values show, so that neither a header alone ("Mobile" over a
//! column of clinic names) nor a value alone (959000839 in an amounts column) decides.

use sealpost_format::Label;

use super::column::Column;
use crate::detect::header::{Roles, Words};
use crate::detect::mask::Examples;
use crate::detect::phone::Strength as PhoneStrength;
use crate::detect::text::FreeText;
use crate::report::{Finding, ReasonCode};

/// What the rules read.
pub(crate) struct Sheet<'a> {
    /// The sheet's name.
    pub(crate) name: &'a str,
    /// Its columns.
    pub(crate) columns: &'a [Column],
    /// Data rows.
    pub(crate) rows: u64,
    /// Running text above the table (titles, notes) and in header cells.
    pub(crate) preamble: &'a FreeText,
    /// Running text in the cells right of the last column with statistics.
    pub(crate) overflow: &'a FreeText,
}

/// Builds the findings.
#[derive(Default)]
struct Findings(Vec<Finding>);

impl Findings {
    fn add(&mut self, code: ReasonCode, column: Option<String>, count: u64, examples: Examples) {
        if count == 0 {
            return;
        }
        self.0.push(Finding {
            code,
            column,
            count,
            examples: examples.into_vec(),
        });
    }

    fn has(&self, code: ReasonCode) -> bool {
        self.0.iter().any(|f| f.code == code)
    }
}

const PLACES: Roles = Roles::ADM1
    .union(Roles::ADM2)
    .union(Roles::ADM3)
    .union(Roles::ADM4)
    .union(Roles::ADM5)
    .union(Roles::SITE);

const IDS: Roles = Roles::PERSON_ID
    .union(Roles::HH_ID)
    .union(Roles::RESPONDENT_ID)
    .union(Roles::GENERIC_ID)
    .union(Roles::KOBO_META);

/// Phone numbers in a column: all forms under a phone header, plain mobile numbers where they
/// fill the column, and unmistakable ones (`+95 9…`) anywhere.
fn phones(c: &Column) -> (u64, Examples) {
    let any = c.phones_at_least(PhoneStrength::Weak);
    let sure = c.phones_at_least(PhoneStrength::Medium);
    let strong = c.phones_at_least(PhoneStrength::Strong);
    let phone_header = c.roles.any(Roles::PHONE | Roles::CONTACT);
    // Amounts, counts, ids and codes are where phone-like numbers hide: there only the
    // unmistakable forms count.
    let numbers_header = c
        .roles
        .any(Roles::AMOUNT | Roles::COUNT | Roles::DATE | Roles::CODE | IDS)
        || Words::new(&c.header).has(&[
            "no",
            "number",
            "ref",
            "reference",
            "id",
            "code",
            "serial",
            "account",
            "invoice",
            "transaction",
            "receipt",
            "voucher",
            "card",
            "batch",
        ]);
    let mut examples = Examples::default();
    let count = if phone_header && c.share(any) >= 0.3 {
        for e in c.phone_examples.iter().rev() {
            examples.merge(e);
        }
        any
    } else if !numbers_header && c.share(sure) >= 0.5 && (sure >= 2 || sure == c.non_empty) {
        examples.merge(&c.phone_examples[2]);
        examples.merge(&c.phone_examples[1]);
        sure
    } else {
        examples.merge(&c.phone_examples[2]);
        strong
    };
    examples.merge(&c.free.phones.examples);
    (count + c.free.phones.count, examples)
}

/// Values that are not people's names even under a "name" header.
fn values_not_names(c: &Column) -> bool {
    c.share(c.binary) >= 0.5
        || c.share(c.sex) >= 0.5
        || c.share(c.org_like) >= 0.5
        || c.share(c.emails.count) >= 0.5
        || c.share(c.phones_at_least(PhoneStrength::Weak)) >= 0.5
        || is_codes(c)
        || c.is_numeric()
        || c.words_per_text() > 6.0
}

/// Mostly identifier-shaped codes (`010001-E09`, `ENUM_07`): enumerator and staff ids in a
/// KoBo/ODK export stand for a person but are not names nor contact details.
fn is_codes(c: &Column) -> bool {
    c.share(c.codes) >= 0.5
}

/// Names in a column: everything textual under a person header (name, head of household,
/// staff), or a column mostly of honorific or syllable names, plus names in running text.
fn names(c: &Column, places_in_sheet: bool) -> (u64, Examples) {
    let mut examples = Examples::default();
    let name_like = c.names.0 + c.names.1;
    // A bare "Name" beside P-codes or place columns is usually the place's name (MIMU lists:
    // Pcode, Name, Name_MMR): there the values must look like people's names too.
    let bare = matches!(
        c.header.trim().to_lowercase().as_str(),
        "name" | "names" | "name_en" | "name_mmr" | "name (en)" | "name (mm)" | "အမည်" | "နာမည်"
    );
    let place_name = bare && places_in_sheet && c.share(name_like) < 0.2;
    let person_header = c.roles.any(Roles::NAME | Roles::HOH | Roles::STAFF)
        && !c.roles.any(Roles::ORG)
        && !place_name;
    let mut count = if person_header && c.is_textual() && !values_not_names(c) {
        examples.merge(&c.name_examples);
        examples.merge(&c.text_examples);
        // The odd code among the names (an id typed in the name cell) is not a name either.
        c.text.saturating_sub(c.codes)
    } else if !c.roles.any(PLACES | Roles::ORG | Roles::ADDRESS)
        && name_like > 0
        && (name_like >= 2 || name_like == c.non_empty)
        && (c.share(name_like) >= 0.6 || (c.names.0 > 0 && c.share(name_like) >= 0.4))
        && (c.distinct.count() >= 3 || c.non_empty < 3)
    {
        examples.merge(&c.name_examples);
        name_like
    } else {
        0
    };
    if count == 0 {
        count = c.free.names.count;
        examples.merge(&c.free.names.examples);
    }
    (count, examples)
}

/// Email addresses: a column of them, or several in running text.
fn emails(c: &Column) -> (u64, Examples) {
    let mut examples = Examples::default();
    let mut count = 0;
    let column = c.emails.count;
    if column > 0
        && (c.roles.any(Roles::EMAIL | Roles::CONTACT) || (c.share(column) >= 0.5 && column >= 2))
    {
        count += column;
        examples.merge(&c.emails.examples);
    }
    if c.free.emails.count >= 3 {
        count += c.free.emails.count;
        examples.merge(&c.free.emails.examples);
    }
    (count, examples)
}

/// Locations at admin level 4 or below: P-codes of that level, place columns below township
/// holding names or village codes, addresses, and such P-codes in running text.
fn admin4(c: &Column) -> (u64, Examples) {
    let mut examples = Examples::default();
    let mut count = 0;
    let pcodes = c.pcodes[3];
    if pcodes > 0 && (c.share(pcodes) >= 0.3 || pcodes >= 3) {
        count += pcodes;
        examples.merge(&c.admin4_examples);
    } else if c.roles.any(Roles::ADM4 | Roles::ADM5 | Roles::ADDRESS)
        && !c.roles.any(Roles::COUNT | Roles::AMOUNT)
        && (c.is_textual() || c.share(c.code_like_ints) >= 0.6 || c.share(pcodes) >= 0.3)
    {
        count += c.non_empty;
        examples.merge(&c.admin4_examples);
        if c.is_textual() {
            examples.merge(&c.text_examples);
        } else {
            examples.merge(&c.id_examples);
        }
    }
    count += c.free.admin4.count;
    examples.merge(&c.free.admin4.examples);
    (count, examples)
}

fn is_count(c: &Column) -> bool {
    c.is_numeric()
        && c.roles.any(Roles::COUNT | Roles::AMOUNT)
        && !c.roles.any(Roles::HH_SIZE | Roles::AGE)
}

fn is_org(c: &Column) -> bool {
    let contacts = c.emails.count + c.phones_at_least(PhoneStrength::Weak);
    let by_header = c.roles.has(Roles::ORG) && c.is_textual() && c.share(contacts) < 0.5;
    let unlabelled = !c
        .roles
        .any(Roles::NAME | Roles::STAFF | PLACES | Roles::ASSISTANCE | Roles::REMARKS);
    let by_values = unlabelled
        && c.is_textual()
        && c.share(c.org_like) >= 0.6
        && c.distinct.count() >= 2
        && c.non_empty >= 3;
    by_header || by_values
}

/// Unique per row: an identifier column.
fn is_unique_id(c: &Column, rows: u64, roles: Roles) -> bool {
    c.roles.any(roles)
        && !c
            .roles
            .any(Roles::COUNT | Roles::AMOUNT | PLACES | Roles::DATE)
        && c.non_empty * 10 >= rows * 8
        && c.distinct.ratio() >= 0.9
        && (c.distinct.count() >= 2 || rows <= 1)
}

fn is_age(c: &Column) -> bool {
    c.roles.has(Roles::AGE)
        && c.share(c.integers) >= 0.8
        && c.int_range.is_some_and(|(lo, hi)| lo >= 0.0 && hi <= 120.0)
}

fn is_sex(c: &Column) -> bool {
    (c.roles.has(Roles::SEX) && c.share(c.sex) >= 0.8)
        || (c.share(c.sex) >= 0.95 && c.non_empty >= 5 && c.distinct.count() <= 4)
}

fn is_vulnerability_flag(c: &Column) -> bool {
    c.roles.has(Roles::VULN)
        && c.non_empty > 0
        && c.share(c.binary) >= 0.8
        && !c.roles.any(Roles::COUNT)
}

fn is_vulnerability_category(c: &Column) -> bool {
    c.roles.has(Roles::VULN) && c.is_textual() && c.share(c.vuln_values) >= 0.3
}

/// A per-person vulnerability column with kinds rather than yes/no ("type of disability":
/// physical, visual, none): the people with a kind are flagged.
fn flagged_by_kind(c: &Column) -> u64 {
    if c.roles.has(Roles::VULN)
        && c.is_textual()
        && !c.roles.any(Roles::COUNT)
        && c.share(c.binary) < 0.8
    {
        c.text.saturating_sub(c.none_values)
    } else {
        0
    }
}

fn is_categorical(c: &Column) -> bool {
    c.non_empty >= 20 && c.distinct.count() <= 12 && (c.is_textual() || c.share(c.binary) >= 0.8)
}

/// The findings for one sheet, and the label they call for.
pub(crate) fn findings(sheet: &Sheet<'_>) -> (Vec<Finding>, Label) {
    let mut out = Findings::default();
    let rows = sheet.rows;
    let cols = sheet.columns;

    // Personal data, column by column.
    let mut name_columns = Vec::new();
    let mut phone_columns = 0;
    let mut email_columns = 0;
    let places_in_sheet = cols
        .iter()
        .any(|c| c.roles.any(PLACES) || c.share(c.pcodes.iter().sum()) >= 0.5);
    for c in cols {
        let (count, examples) = names(c, places_in_sheet);
        if count > 0 {
            name_columns.push(c.index);
        }
        out.add(ReasonCode::PersonName, Some(c.label()), count, examples);
        let (count, examples) = phones(c);
        phone_columns += usize::from(count > 0);
        out.add(ReasonCode::Phone, Some(c.label()), count, examples);
        let mut nrc = c.nrc.clone();
        nrc.merge(&c.free.nrc);
        out.add(ReasonCode::Nrc, Some(c.label()), nrc.count, nrc.examples);
        let (count, examples) = emails(c);
        email_columns += usize::from(count > 0);
        out.add(ReasonCode::Email, Some(c.label()), count, examples);
    }
    for (text, label) in [
        (sheet.preamble, "title and header text"),
        (sheet.overflow, "further columns"),
    ] {
        out.add(
            ReasonCode::PersonName,
            Some(label.into()),
            text.names.count,
            text.names.examples.clone(),
        );
        out.add(
            ReasonCode::Phone,
            Some(label.into()),
            text.phones.count,
            text.phones.examples.clone(),
        );
        out.add(
            ReasonCode::Nrc,
            Some(label.into()),
            text.nrc.count,
            text.nrc.examples.clone(),
        );
        if text.emails.count >= 3 {
            out.add(
                ReasonCode::Email,
                Some(label.into()),
                text.emails.count,
                text.emails.examples.clone(),
            );
        }
    }

    // Rows of people and households.
    let id_of = |roles: Roles| cols.iter().find(|c| is_unique_id(c, rows, roles));
    let person_id = id_of(Roles::PERSON_ID);
    let respondent_id = id_of(Roles::RESPONDENT_ID).or_else(|| {
        cols.iter().find(|c| {
            c.roles.has(Roles::KOBO_META)
                && c.header.contains("id")
                && is_unique_id(c, rows, Roles::KOBO_META)
        })
    });
    let generic_id = id_of(Roles::GENERIC_ID);
    let hh_id = cols.iter().find(|c| {
        c.roles.has(Roles::HH_ID)
            && !c.roles.any(Roles::COUNT | Roles::AMOUNT)
            && c.non_empty * 10 >= rows * 8
            && c.distinct.ratio() >= 0.3
            && rows >= 1
    });
    let hoh = cols.iter().find(|c| {
        c.roles.has(Roles::HOH) && c.non_empty > 0 && (c.is_textual() || c.share(c.binary) >= 0.8)
    });
    let hh_size = cols.iter().find(|c| {
        c.roles.has(Roles::HH_SIZE)
            && c.share(c.integers) >= 0.8
            && c.int_range.is_some_and(|(lo, hi)| lo >= 0.0 && hi <= 50.0)
    });
    let age = cols.iter().find(|c| is_age(c));
    let sex = cols.iter().find(|c| is_sex(c));
    let counts = cols.iter().filter(|c| is_count(c)).count();
    let people_by_id = person_id.is_some() || hh_id.is_some() || hoh.is_some();
    let person_rows = !name_columns.is_empty()
        || people_by_id
        || respondent_id.is_some()
        || (age.is_some() && sex.is_some())
        || (generic_id.is_some() && (age.is_some() || sex.is_some()));

    let household_evidence = hh_id
        .or(hoh)
        .or(person_id)
        .or(hh_size.filter(|_| person_rows));
    if let Some(c) = household_evidence {
        out.add(
            ReasonCode::Household,
            Some(c.label()),
            rows.max(1),
            c.id_examples.clone(),
        );
    }

    let flags: Vec<&Column> = cols
        .iter()
        .filter(|c| is_vulnerability_flag(c) && c.yes > 0)
        .collect();
    let categories: Vec<&Column> = cols
        .iter()
        .filter(|c| is_vulnerability_category(c))
        .collect();
    if (!flags.is_empty() || !categories.is_empty()) && (person_rows || flags.len() >= 2) {
        for c in flags {
            out.add(
                ReasonCode::VulnerableIndividual,
                Some(c.label()),
                c.yes,
                Examples::default(),
            );
        }
        for c in categories {
            out.add(
                ReasonCode::VulnerableIndividual,
                Some(c.label()),
                c.vuln_values,
                Examples::default(),
            );
        }
    } else if person_rows {
        for c in cols {
            out.add(
                ReasonCode::VulnerableIndividual,
                Some(c.label()),
                flagged_by_kind(c),
                Examples::default(),
            );
        }
    }

    let assistance = cols
        .iter()
        .find(|c| c.roles.any(Roles::ASSISTANCE | Roles::BENEFICIARY) && c.non_empty > 0);
    let lowered_name = sheet.name.to_lowercase();
    let named_as_list =
        lowered_name.contains("beneficiar") || lowered_name.contains("distribution");
    if (!name_columns.is_empty() || person_id.is_some() || hh_id.is_some())
        && (assistance.is_some() || named_as_list)
    {
        let column = assistance.map(Column::label);
        out.add(
            ReasonCode::BeneficiaryList,
            column,
            rows.max(1),
            Examples::default(),
        );
    }

    let org_columns: Vec<&Column> = cols.iter().filter(|c| is_org(c)).collect();
    // A column of enumerator codes says who collected each row, not that the names and phones
    // in it are the staff's: a beneficiary list with an `enumerator` id is not a contact list.
    let staff = cols
        .iter()
        .find(|c| c.roles.any(Roles::STAFF | Roles::POSITION) && c.non_empty > 0 && !is_codes(c));
    let contacts = phone_columns + email_columns > 0;
    let beneficiaries = out.has(ReasonCode::BeneficiaryList) || out.has(ReasonCode::Household);
    let people = !name_columns.is_empty();
    if people && contacts && (staff.is_some() || (!org_columns.is_empty() && !beneficiaries)) {
        let column = staff.or(org_columns.first().copied()).map(Column::label);
        out.add(
            ReasonCode::AidWorkerContacts,
            column,
            rows.max(1),
            Examples::default(),
        );
    }

    // Raw survey data: one row per respondent.
    let kobo = cols
        .iter()
        .filter(|c| c.roles.has(Roles::KOBO_META))
        .count();
    // "start" and "end" alone could be a project's dates; KoBo's own columns (`_uuid`,
    // `_index`, `deviceid`, `meta/instanceID`) cannot.
    let kobo_own = cols.iter().any(|c| {
        let h = c.header.trim().to_lowercase();
        c.roles.has(Roles::KOBO_META)
            && (h.starts_with('_')
                || h.contains("instanceid")
                || h.contains("deviceid")
                || h.contains("uuid"))
    });
    // KoBo/ODK group paths: `grp_location/village`, lower case without spaces.
    let group_paths = cols
        .iter()
        .filter(|c| {
            let h = c.header.trim();
            h.contains('/') && h.len() > 3 && !h.contains(' ') && !h.chars().any(char::is_uppercase)
        })
        .count();
    let categorical = cols.iter().filter(|c| is_categorical(c)).count();
    // A column of distinct keyed pseudonyms (the pseudonymiser's `PSN-…`) stands for one person
    // or household per row: pseudonymised records are still individual-level data, at least
    // raw survey data under the policy, even when nothing else in them is personal.
    let pseudonymised_rows = cols.iter().find(|c| {
        c.pseudonyms * 10 >= rows * 8 && c.distinct.ratio() >= 0.9 && c.distinct.count() >= 2
    });
    let survey = if let Some(c) = respondent_id.or(pseudonymised_rows) {
        Some(Some(c.label()))
    } else if (kobo >= 2 && kobo_own) || group_paths >= 3 {
        Some(None)
    } else if rows >= 20
        && counts == 0
        && categorical >= 3
        && (generic_id.is_some() || (age.is_some() && sex.is_some()))
    {
        // One row per person, answers from short lists.
        Some(None)
    } else if rows >= 30
        && counts == 0
        && org_columns.is_empty()
        && categorical >= 5
        && categorical * 10 >= cols.len() * 6
    {
        // Mostly answers from short lists, no counts: a questionnaire's rows.
        Some(None)
    } else {
        None
    };
    if let Some(column) = survey {
        out.add(
            ReasonCode::RawSurvey,
            column,
            rows.max(1),
            Examples::default(),
        );
    }

    // Precise locations.
    let mut admin4_found = false;
    for c in cols {
        let (count, examples) = admin4(c);
        admin4_found |= count > 0;
        out.add(ReasonCode::Admin4Location, Some(c.label()), count, examples);
    }
    for (text, label) in [
        (sheet.preamble, "title and header text"),
        (sheet.overflow, "further columns"),
    ] {
        admin4_found |= text.admin4.count > 0;
        out.add(
            ReasonCode::Admin4Location,
            Some(label.into()),
            text.admin4.count,
            text.admin4.examples.clone(),
        );
    }
    let gps_found = gps(sheet, &mut out);

    // Organisations, and where they work.
    if let Some(org) = org_columns.first() {
        if admin4_found || gps_found {
            out.add(
                ReasonCode::PartnerPresenceAdmin4,
                Some(org.label()),
                org.non_empty,
                Examples::default(),
            );
        } else {
            out.add(
                ReasonCode::OrgNamesTownship,
                Some(org.label()),
                org.non_empty,
                Examples::default(),
            );
        }
    }

    // Needs and numbers below township level.
    let site = cols
        .iter()
        .find(|c| c.roles.has(Roles::SITE) && c.is_textual() && !c.roles.any(Roles::COUNT));
    if counts > 0 && (admin4_found || site.is_some()) {
        out.add(
            ReasonCode::BelowTownship,
            site.map(Column::label),
            rows.max(1),
            Examples::default(),
        );
    }

    let label = out
        .0
        .iter()
        .map(|f| f.code.label())
        .max()
        .unwrap_or(Label::Public);
    if label == Label::Public {
        // The positive reason for a public label, counted in rows (possibly none).
        let code = if is_pcode_reference(cols) {
            ReasonCode::PcodeReference
        } else {
            ReasonCode::AggregateOnly
        };
        out.0.push(Finding {
            code,
            column: None,
            count: rows,
            examples: Vec::new(),
        });
    }
    (out.0, label)
}

/// Coordinates: latitude and longitude columns (by header, or by values precise enough and in
/// range on their own), or pairs written in text.
fn gps(sheet: &Sheet<'_>, out: &mut Findings) -> bool {
    let cols = sheet.columns;
    let lat = |c: &Column, by_header: bool| {
        c.is_numeric()
            && !c.roles.any(Roles::COUNT | Roles::AMOUNT | Roles::LON)
            && if by_header {
                c.roles.any(Roles::LAT) && c.share(c.lat.0) >= 0.6
            } else {
                c.share(c.lat.1) >= 0.9
            }
    };
    let lon = |c: &Column, by_header: bool| {
        c.is_numeric()
            && !c.roles.any(Roles::COUNT | Roles::AMOUNT | Roles::LAT)
            && if by_header {
                c.roles.any(Roles::LON) && c.share(c.lon.0) >= 0.6
            } else {
                c.share(c.lon.1) >= 0.9
            }
    };
    let pair = [true, false].into_iter().find_map(|by_header| {
        let la = cols.iter().find(|c| lat(c, by_header))?;
        let lo = cols
            .iter()
            .find(|c| lon(c, by_header) && c.index != la.index)?;
        Some((la, lo))
    });
    let mut found = false;
    if let Some((la, lo)) = pair {
        let mut examples = la.coord_examples.clone();
        examples.merge(&lo.coord_examples);
        let column = format!("{} / {}", la.label(), lo.label());
        out.add(
            ReasonCode::Gps,
            Some(column),
            la.non_empty.min(lo.non_empty),
            examples,
        );
        found = true;
    }
    for c in cols {
        if c.free.coords.count > 0 {
            out.add(
                ReasonCode::Gps,
                Some(c.label()),
                c.free.coords.count,
                c.free.coords.examples.clone(),
            );
            found = true;
        }
    }
    for (text, label) in [
        (sheet.preamble, "title and header text"),
        (sheet.overflow, "further columns"),
    ] {
        if text.coords.count > 0 {
            out.add(
                ReasonCode::Gps,
                Some(label.into()),
                text.coords.count,
                text.coords.examples.clone(),
            );
            found = true;
        }
    }
    found
}

/// A list of P-codes (township level or above) with their place names, and nothing else.
fn is_pcode_reference(cols: &[Column]) -> bool {
    let filled: Vec<&Column> = cols.iter().filter(|c| c.non_empty > 0).collect();
    let pcode_columns = filled
        .iter()
        .filter(|c| c.share(c.pcodes[0] + c.pcodes[1] + c.pcodes[2]) >= 0.8)
        .count();
    pcode_columns > 0
        && filled.iter().all(|c| {
            c.share(c.pcodes[0] + c.pcodes[1] + c.pcodes[2]) >= 0.8
                || (c.is_textual() && !c.roles.any(Roles::COUNT | Roles::AMOUNT))
        })
}
