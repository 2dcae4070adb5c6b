//! What a column is about, from its header: English words as IMOs and KoBo write them
//! (`Name of respondent`, `hh_size`, `Township Pcode`, `#org+impl`) and Burmese (အမည်, ဖုန်း,
//! ကျေးရွာ…). A header only suggests; the column's values confirm (see `table`).

/// A set of column roles.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Roles(u64);

macro_rules! roles {
    ($($(#[$doc:meta])* $name:ident = $bit:expr;)*) => {
        impl Roles {
            $($(#[$doc])* pub(crate) const $name: Roles = Roles(1 << $bit);)*
        }
    };
}

roles! {
    /// A person's name.
    NAME = 0;
    /// A phone number.
    PHONE = 1;
    /// An NRC number.
    NRC = 2;
    /// An email address.
    EMAIL = 3;
    /// A household identifier.
    HH_ID = 4;
    /// The head of household.
    HOH = 5;
    /// Household size.
    HH_SIZE = 6;
    /// An identifier of a person, beneficiary, case or registration.
    PERSON_ID = 7;
    /// A survey respondent, interview or submission identifier.
    RESPONDENT_ID = 8;
    /// KoBo/ODK metadata (`_uuid`, `_submission_time`, `start`, `deviceid`…).
    KOBO_META = 9;
    /// A bare `id`.
    GENERIC_ID = 10;
    /// Age.
    AGE = 11;
    /// Sex or gender.
    SEX = 12;
    /// Membership of a vulnerable group.
    VULN = 13;
    /// An organisation.
    ORG = 14;
    /// Staff, focal points, enumerators, contact persons.
    STAFF = 15;
    /// Job title, position, role.
    POSITION = 16;
    /// State or region.
    ADM1 = 17;
    /// District.
    ADM2 = 18;
    /// Township.
    ADM3 = 19;
    /// Village tract, ward or town.
    ADM4 = 20;
    /// Village (and HXL `#loc`).
    ADM5 = 21;
    /// Camp, site, settlement.
    SITE = 22;
    /// Latitude.
    LAT = 23;
    /// Longitude.
    LON = 24;
    /// Both coordinates in one column.
    COORDS = 25;
    /// A P-code or other code.
    CODE = 26;
    /// A count of people, households, targets (an aggregate).
    COUNT = 27;
    /// Money.
    AMOUNT = 28;
    /// Assistance received or given.
    ASSISTANCE = 29;
    /// Beneficiaries.
    BENEFICIARY = 30;
    /// A date.
    DATE = 31;
    /// A postal or house address.
    ADDRESS = 32;
    /// Free text: remarks, comments.
    REMARKS = 33;
    /// Contact details of unknown kind (phone, email or person).
    CONTACT = 34;
    /// An age group (not one person's age).
    AGE_GROUP = 35;
}

impl Roles {
    /// No role.
    pub(crate) const NONE: Roles = Roles(0);

    /// Both sets of roles (usable in constants).
    pub(crate) const fn union(self, other: Roles) -> Roles {
        Roles(self.0 | other.0)
    }

    /// Whether every role of `other` is in `self`.
    pub(crate) fn has(self, other: Roles) -> bool {
        other.0 != 0 && self.0 & other.0 == other.0
    }

    /// Whether any role of `other` is in `self`.
    pub(crate) fn any(self, other: Roles) -> bool {
        self.0 & other.0 != 0
    }

    /// Whether there is no role.
    pub(crate) fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Removes the roles of `other`.
    pub(crate) fn without(self, other: Roles) -> Roles {
        Roles(self.0 & !other.0)
    }
}

impl std::ops::BitOr for Roles {
    type Output = Roles;
    fn bitor(self, other: Roles) -> Roles {
        Roles(self.0 | other.0)
    }
}

impl std::ops::BitOrAssign for Roles {
    fn bitor_assign(&mut self, other: Roles) {
        self.0 |= other.0;
    }
}

/// A header split into lower-case words (`HHSize` → `hh size`, `Township_Pcode` → `township
/// pcode`), with the raw lower-case text kept for Burmese and KoBo matches.
pub(crate) struct Words {
    raw: String,
    words: Vec<String>,
}

impl Words {
    pub(crate) fn new(header: &str) -> Words {
        let mut spaced = String::with_capacity(header.len() + 8);
        let chars: Vec<char> = header.chars().collect();
        for (i, &c) in chars.iter().enumerate() {
            // A camelCase boundary (`hhSize`, `firstName`) becomes a space; `HoH` stays a word.
            let previous_lower = i > 0 && chars[i - 1].is_ascii_lowercase();
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if c.is_ascii_uppercase() && previous_lower && next_lower {
                spaced.push(' ');
            }
            if c.is_alphanumeric() || !c.is_ascii() {
                spaced.push(c);
            } else {
                spaced.push(' ');
            }
        }
        let lower = spaced.to_lowercase();
        let mut words: Vec<String> = lower.split_whitespace().map(str::to_string).collect();
        // Glued forms people type: hhid, hhsize, hoh, pcode, uuid.
        let mut split = Vec::new();
        for word in words.drain(..) {
            match word.as_str() {
                "hhid" => split.extend(["hh".to_string(), "id".to_string()]),
                "hhsize" => split.extend(["hh".to_string(), "size".to_string()]),
                "hhcode" => split.extend(["hh".to_string(), "code".to_string()]),
                "pcode" | "pcodes" => split.extend(["pcode".to_string()]),
                "latitude" => split.push("lat".into()),
                "longitude" | "lng" => split.push("lon".into()),
                _ => split.push(word),
            }
        }
        Words {
            raw: header.trim().to_lowercase(),
            words: split,
        }
    }

    /// Whether a word is one of `options`.
    pub(crate) fn has(&self, options: &[&str]) -> bool {
        self.words.iter().any(|w| options.contains(&w.as_str()))
    }

    /// Whether a word starts with one of `prefixes`.
    fn has_prefix(&self, prefixes: &[&str]) -> bool {
        self.words
            .iter()
            .any(|w| prefixes.iter().any(|p| w.starts_with(p)))
    }

    /// Whether the words `phrase` appear in order, next to each other.
    fn has_phrase(&self, phrase: &[&str]) -> bool {
        self.words
            .windows(phrase.len())
            .any(|w| w.iter().zip(phrase).all(|(a, b)| a == b))
    }

    /// Whether a word of `first` is followed by a word of `second`.
    fn pair(&self, first: &[&str], second: &[&str]) -> bool {
        self.words
            .windows(2)
            .any(|w| first.contains(&w[0].as_str()) && second.contains(&w[1].as_str()))
    }

    /// Whether the raw header contains one of `needles` (Burmese has no spaces between words).
    fn contains(&self, needles: &[&str]) -> bool {
        needles.iter().any(|n| self.raw.contains(n))
    }

    /// The only word, if there is exactly one.
    fn only(&self) -> Option<&str> {
        (self.words.len() == 1).then(|| self.words[0].as_str())
    }
}

/// Words that make a "name" column the name of a place or thing, not a person.
const NOT_PERSON: &[&str] = &[
    "state",
    "region",
    "district",
    "township",
    "tsp",
    "town",
    "ward",
    "village",
    "vt",
    "tract",
    "camp",
    "site",
    "settlement",
    "location",
    "place",
    "facility",
    "school",
    "clinic",
    "hospital",
    "project",
    "programme",
    "program",
    "sector",
    "cluster",
    "activity",
    "item",
    "org",
    "orgs",
    "organisation",
    "organization",
    "agency",
    "partner",
    "ngo",
    "donor",
    "company",
    "file",
    "sheet",
    "indicator",
    "commodity",
    "product",
    "crop",
    "market",
    "shop",
    "warehouse",
    "river",
    "road",
    "area",
    "zone",
    "country",
    "admin",
    "adm1",
    "adm2",
    "adm3",
    "adm4",
    "adm5",
    "city",
    "hamlet",
    "bank",
    "account",
    "group",
    "team",
    "unit",
    "field",
    "form",
    "variable",
    "column",
    "brand",
    "disease",
    "event",
    "category",
    "type",
    "shelter",
    "tool",
    "implementer",
    "office",
    "department",
    "ministry",
    "committee",
    "network",
    "cso",
    "cbo",
    "ingo",
    "sr",
    "pcode",
];

const BURMESE_PLACES: &[&str] = &[
    "ကျေးရွာ",
    "မြို့",
    "ရပ်ကွက်",
    "ပြည်နယ်",
    "တိုင်း",
    "အဖွဲ့",
    "စခန်း",
    "ဌာန",
    "ကျောင်း",
    "ခရိုင်",
];

const ID_WORDS: &[&str] = &[
    "id",
    "code",
    "no",
    "number",
    "num",
    "nr",
    "ref",
    "reference",
    "uid",
    "key",
];

/// KoBo/ODK metadata columns, by their exact lower-case header.
const KOBO_META: &[&str] = &[
    "start",
    "end",
    "today",
    "deviceid",
    "subscriberid",
    "simserial",
    "phonenumber",
    "username",
    "audit",
    "_uuid",
    "_id",
    "_submission_time",
    "_validation_status",
    "_notes",
    "_status",
    "_submitted_by",
    "__version__",
    "_version_",
    "_tags",
    "_index",
    "_parent_index",
    "_parent_table_name",
    "meta/instanceid",
    "instanceid",
    "formhub/uuid",
    "_attachments",
    "_geolocation",
    "_xform_id_string",
    "meta/instancename",
    "_submission__id",
];

/// The roles a column header suggests.
pub(crate) fn roles(header: &str) -> Roles {
    let w = Words::new(header);
    let mut r = Roles::NONE;
    if w.words.is_empty() && w.raw.is_empty() {
        return r;
    }
    let placey = w.has(NOT_PERSON) || w.contains(BURMESE_PLACES);

    // People.
    if (w.has(&[
        "name",
        "names",
        "fullname",
        "firstname",
        "lastname",
        "surname",
        "forename",
    ]) || w.has_phrase(&["first", "name"])
        || w.contains(&["အမည်", "နာမည်"]))
        && !placey
    {
        r |= Roles::NAME;
    }
    if w.has_phrase(&["head", "of", "household"])
        || w.has_phrase(&["household", "head"])
        || w.has_phrase(&["hh", "head"])
        || w.has_phrase(&["head", "of", "family"])
        || w.has_phrase(&["family", "head"])
        || w.has(&["hoh", "hhh"])
        || w.contains(&["အိမ်ထောင်ဦးစီး", "အိမ်ထောင်စုခေါင်းဆောင်"])
    {
        r |= Roles::HOH;
    }
    if w.has(&[
        "staff",
        "enumerator",
        "interviewer",
        "volunteer",
        "focal",
        "officer",
    ]) || w.has_phrase(&["contact", "person"])
        || w.has_phrase(&["team", "leader"])
        || w.has_phrase(&["contact", "name"])
        || w.contains(&["ဝန်ထမ်း", "တာဝန်ခံ"])
    {
        r |= Roles::STAFF;
    }
    if w.has(&["position", "designation", "title", "job", "role"]) || w.contains(&["ရာထူး"])
    {
        r |= Roles::POSITION;
    }

    // Contact details.
    let mobile_not_phone = w.pair(
        &["mobile"],
        &[
            "clinic", "clinics", "team", "teams", "money", "unit", "units", "health", "outreach",
            "banking", "wallet",
        ],
    );
    if (w.has(&[
        "phone",
        "phones",
        "telephone",
        "tel",
        "mobile",
        "cell",
        "cellphone",
        "msisdn",
        "whatsapp",
        "viber",
        "ph",
        "phno",
        "phonenumber",
        "handphone",
        "telegram",
        "mob",
        "telno",
        "hp",
        "mobileno",
        "phoneno",
    ]) && !mobile_not_phone)
        || w.pair(
            &["contact"],
            &["no", "number", "num", "phone", "tel", "mobile"],
        )
        || w.contains(&["ဖုန်း"])
    {
        r |= Roles::PHONE;
    }
    if w.has(&["email", "emails", "mail"])
        || w.has_phrase(&["e", "mail"])
        || w.contains(&["အီးမေးလ်"])
    {
        r |= Roles::EMAIL;
    }
    if w.only() == Some("contact")
        || w.has_phrase(&["contact", "details"])
        || w.has_phrase(&["contact", "info"])
        || w.contains(&["ဆက်သွယ်ရန်", "ဆက်သွယ်ရေး"])
    {
        r |= Roles::CONTACT;
    }
    if w.has(&["nrc", "nric", "idcard"])
        || w.has_phrase(&["national", "registration"])
        || w.has_phrase(&["id", "card"])
        || w.has_phrase(&["citizenship", "card"])
        || w.has_phrase(&["scrutiny", "card"])
        || w.contains(&["မှတ်ပုံတင်", "နိုင်ငံသားစိစစ်ရေး"])
    {
        r |= Roles::NRC;
    }
    if !r.has(Roles::EMAIL)
        && (w.has(&["address", "street"])
            || w.has_phrase(&["house", "no"])
            || w.has_phrase(&["house", "number"])
            || w.contains(&["လိပ်စာ", "အိမ်အမှတ်"]))
    {
        r |= Roles::ADDRESS;
    }

    // Households and people, one per row.
    let householdy = ["household", "households", "hh", "family", "hhold", "hhld"];
    if w.pair(&householdy, ID_WORDS) || w.contains(&["အိမ်ထောင်စုနံပါတ်", "အိမ်ထောင်စုအမှတ်"])
    {
        r |= Roles::HH_ID;
    }
    if w.pair(&householdy, &["size", "members", "member"])
        || w.has_phrase(&["number", "of", "members"])
        || w.has_phrase(&["family", "members"])
        || w.contains(&["အိမ်ထောင်စုဝင်"])
    {
        r |= Roles::HH_SIZE;
    }
    let persony = [
        "individual",
        "ind",
        "indiv",
        "person",
        "beneficiary",
        "bnf",
        "benef",
        "case",
        "registration",
        "reg",
        "card",
        "token",
        "ration",
        "unhcr",
        "progres",
        "member",
        "child",
        "patient",
        "student",
        "participant",
        "idp",
        "recipient",
        "client",
        "survivor",
    ];
    if w.pair(&persony, ID_WORDS) {
        r |= Roles::PERSON_ID;
    }
    let respondenty = [
        "respondent",
        "interview",
        "survey",
        "submission",
        "response",
        "record",
        "form",
        "questionnaire",
        "instance",
        "enumeration",
        "observation",
    ];
    if w.pair(&respondenty, ID_WORDS) || w.has(&["uuid", "instanceid"]) {
        r |= Roles::RESPONDENT_ID;
    }
    if KOBO_META.contains(&w.raw.as_str()) || (w.raw.starts_with('_') && w.raw.len() > 2) {
        r |= Roles::KOBO_META;
    }
    if matches!(w.only(), Some("id" | "uid" | "ref" | "key" | "code")) || w.raw == "s/n" {
        r |= Roles::GENERIC_ID;
    }
    if w.has(&["age", "ages"]) || w.contains(&["အသက်"]) {
        if w.has(&[
            "group", "groups", "range", "band", "bracket", "category", "cohort",
        ]) {
            r |= Roles::AGE_GROUP;
        } else {
            r |= Roles::AGE;
        }
    }
    if w.has(&["sex", "gender"]) || w.contains(&["ကျား/မ", "ကျားမ", "လိင်"])
    {
        r |= Roles::SEX;
    }
    if w.has_prefix(&[
        "disab",
        "pwd",
        "handicap",
        "impair",
        "unaccompan",
        "uasc",
        "orphan",
        "pregnan",
        "lactat",
        "breastfeed",
        "plw",
        "elderly",
        "gbv",
        "sgbv",
        "survivor",
        "traffick",
        "widow",
        "vulnerab",
        "chronic",
        "separated",
        "disabilit",
    ]) || w.has_phrase(&["female", "headed"])
        || w.has_phrase(&["child", "headed"])
        || w.has_phrase(&["single", "headed"])
        || w.has_phrase(&["older", "person"])
        || w.has_phrase(&["specific", "needs"])
        || w.has_phrase(&["single", "parent"])
        || w.has_phrase(&["sexual", "violence"])
        || w.has_phrase(&["at", "risk"])
        || w.has_phrase(&["serious", "medical"])
        || w.contains(&["မသန်စွမ်း", "ကိုယ်ဝန်", "နို့တိုက်", "သက်ကြီး", "မိဘမဲ့", "အကြမ်းဖက်", "မုဆိုးမ"])
    {
        r |= Roles::VULN;
    }

    // Organisations.
    let orgy = w.has(&[
        "organisation",
        "organization",
        "organisations",
        "organizations",
        "org",
        "orgs",
        "partner",
        "partners",
        "agency",
        "agencies",
        "ngo",
        "ingo",
        "implementer",
        "implementers",
        "actor",
        "actors",
        "operator",
    ]) || w.has_phrase(&["implemented", "by"])
        || w.has_phrase(&["implementing", "agency"])
        || w.contains(&["အဖွဲ့အစည်း"]);
    let about_orgs_not_naming = w.has(&[
        "type", "category", "count", "number", "no", "total", "types", "size",
    ]);
    if orgy && !about_orgs_not_naming {
        r |= Roles::ORG;
    }

    // Places.
    if w.has(&["state", "region", "adm1", "admin1", "sr"])
        || w.contains(&["ပြည်နယ်", "တိုင်းဒေသကြီး", "adm1", "admin1"])
    {
        r |= Roles::ADM1;
    }
    if w.has(&["district", "adm2", "admin2"]) || w.contains(&["ခရိုင်", "adm2", "admin2"])
    {
        r |= Roles::ADM2;
    }
    if w.has(&["township", "tsp", "ts", "adm3", "admin3", "townships"])
        || w.contains(&["မြို့နယ်", "adm3", "admin3"])
    {
        r |= Roles::ADM3;
    }
    if w.has_phrase(&["village", "tract"])
        || w.has(&[
            "vt",
            "tract",
            "ward",
            "wards",
            "town",
            "towns",
            "adm4",
            "admin4",
            "vtract",
            "villagetract",
        ])
        || w.contains(&["ကျေးရွာအုပ်စု", "ရပ်ကွက်", "adm4", "admin4"])
    {
        r |= Roles::ADM4;
    } else if w.has(&[
        "village", "villages", "vill", "vil", "hamlet", "adm5", "admin5", "quarter",
    ]) || (w.contains(&["ကျေးရွာ", "adm5", "admin5"]) && !w.contains(&["ကျေးရွာအုပ်စု"]))
    {
        r |= Roles::ADM5;
    }
    if w.has(&[
        "camp",
        "camps",
        "site",
        "sites",
        "settlement",
        "settlements",
    ]) || w.contains(&["စခန်း"])
    {
        r |= Roles::SITE;
    }
    if w.has(&["lat", "_gps_latitude"]) || w.raw.ends_with("_latitude") {
        r |= Roles::LAT;
    }
    if w.has(&["lon", "long", "_gps_longitude"]) || w.raw.ends_with("_longitude") {
        r |= Roles::LON;
    }
    let one_axis = r.has(Roles::LAT) != r.has(Roles::LON);
    if (w.has(&[
        "gps",
        "coordinates",
        "coordinate",
        "coords",
        "geopoint",
        "geolocation",
        "latlong",
        "latlon",
        "geo",
    ]) && !one_axis)
        || (r.has(Roles::LAT) && r.has(Roles::LON))
    {
        r = r.without(Roles::LAT).without(Roles::LON);
        r |= Roles::COORDS;
    }
    if w.has(&["pcode", "code", "codes"]) {
        r |= Roles::CODE;
    }

    // Aggregates, money, assistance.
    if w.has(&[
        "reached",
        "targeted",
        "target",
        "targets",
        "people",
        "persons",
        "individuals",
        "households",
        "beneficiaries",
        "total",
        "number",
        "count",
        "pin",
        "affected",
        "idps",
        "women",
        "men",
        "boys",
        "girls",
        "children",
        "population",
        "percentage",
        "percent",
        "pct",
        "rate",
        "coverage",
        "sum",
        "quantity",
        "qty",
        "inneed",
        "caseload",
        "planned",
        "achieved",
    ]) || w.has_phrase(&["in", "need"])
        || w.raw.starts_with("no. of")
        || w.raw.starts_with("# of")
    {
        r |= Roles::COUNT;
    }
    if w.has(&[
        "amount",
        "requirement",
        "requirements",
        "required",
        "funded",
        "funding",
        "budget",
        "cost",
        "costs",
        "price",
        "usd",
        "mmk",
        "kyat",
        "kyats",
        "value",
        "gap",
        "expenditure",
        "disbursed",
        "salary",
        "thb",
        "eur",
    ]) {
        r |= Roles::AMOUNT;
    }
    if w.has(&[
        "assistance",
        "distribution",
        "distributed",
        "entitlement",
        "entitlements",
        "ration",
        "received",
        "receipt",
        "modality",
        "kit",
        "kits",
        "voucher",
        "vouchers",
        "benefit",
        "package",
        "transfer",
        "aid",
    ]) || w.contains(&["အကူအညီ", "ထောက်ပံ့"])
    {
        r |= Roles::ASSISTANCE;
    }
    if w.has(&[
        "beneficiary",
        "beneficiaries",
        "recipient",
        "recipients",
        "bnf",
    ]) || w.contains(&["အကျိုးခံစား"])
    {
        r |= Roles::BENEFICIARY;
    }
    if w.has(&[
        "date",
        "day",
        "month",
        "year",
        "time",
        "timestamp",
        "dob",
        "birthdate",
    ]) {
        r |= Roles::DATE;
    }
    if w.has(&[
        "remarks",
        "remark",
        "comment",
        "comments",
        "notes",
        "note",
        "observation",
        "observations",
        "description",
        "specify",
        "details",
        "feedback",
        "complaint",
        "complaints",
        "other",
    ]) {
        r |= Roles::REMARKS;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_and_contacts() {
        for h in [
            "Name",
            "Name of respondent",
            "beneficiary_name",
            "HoH name",
            "အမည်",
            "Full Name",
            "firstName",
        ] {
            assert!(roles(h).has(Roles::NAME), "{h}");
        }
        for h in [
            "site_name",
            "Village name",
            "Organisation name",
            "ကျေးရွာအမည်",
            "Township Name",
            "Sheet name",
        ] {
            assert!(!roles(h).has(Roles::NAME), "{h}");
        }
        for h in [
            "Mobile",
            "Phone No.",
            "ဖုန်းနံပါတ်",
            "ဖုန်း",
            "contact_number",
            "Tel",
        ] {
            assert!(roles(h).has(Roles::PHONE), "{h}");
        }
        for h in ["Mobile clinic", "Mobile team visits", "Sector"] {
            assert!(!roles(h).has(Roles::PHONE), "{h}");
        }
        assert!(!roles("Email address").has(Roles::ADDRESS));
        assert!(roles("HoH").has(Roles::HOH));
        assert!(roles("Email").has(Roles::EMAIL));
        assert!(roles("E-mail address").has(Roles::EMAIL));
        assert!(roles("Staff").has(Roles::STAFF));
        assert!(roles("Focal point").has(Roles::STAFF));
        assert!(roles("NRC No").has(Roles::NRC));
        assert!(roles("head of household").has(Roles::HOH));
    }

    #[test]
    fn rows_of_people() {
        assert!(roles("hh_id").has(Roles::HH_ID));
        assert!(roles("HHID").has(Roles::HH_ID));
        assert!(roles("Household size").has(Roles::HH_SIZE));
        assert!(roles("hhSize").has(Roles::HH_SIZE));
        assert!(roles("ind_id").has(Roles::PERSON_ID));
        assert!(roles("Beneficiary ID").has(Roles::PERSON_ID));
        assert!(roles("respondent_id").has(Roles::RESPONDENT_ID));
        assert!(roles("_uuid").has(Roles::KOBO_META));
        assert!(roles("_submission_time").has(Roles::KOBO_META));
        assert!(roles("age").has(Roles::AGE));
        assert!(roles("age_group").has(Roles::AGE_GROUP));
        assert!(roles("ကျား/မ").has(Roles::SEX));
        for h in [
            "disability",
            "unaccompanied_child",
            "gbv_survivor",
            "Pregnant or lactating",
            "Elderly-headed household",
        ] {
            assert!(roles(h).has(Roles::VULN), "{h}");
        }
    }

    #[test]
    fn organisations_and_places() {
        for h in [
            "Organisation",
            "Org",
            "Implementing partner",
            "Agency",
            "#org",
        ] {
            assert!(roles(h).has(Roles::ORG), "{h}");
        }
        for h in ["Organisation type", "Number of partners", "Sector"] {
            assert!(!roles(h).has(Roles::ORG), "{h}");
        }
        assert!(roles("State").has(Roles::ADM1));
        assert!(roles("SR_Pcode").has(Roles::ADM1));
        assert!(roles("Township Pcode").has(Roles::ADM3));
        assert!(roles("Tsp_Pcode").has(Roles::ADM3));
        assert!(roles("Village tract").has(Roles::ADM4));
        assert!(roles("village_tract_pcode").has(Roles::ADM4));
        assert!(roles("Ward").has(Roles::ADM4));
        assert!(!roles("Township").has(Roles::ADM4));
        assert!(roles("Village Code").has(Roles::ADM5));
        assert!(roles("ကျေးရွာ").has(Roles::ADM5));
        assert!(roles("ကျေးရွာအုပ်စု").has(Roles::ADM4));
        assert!(roles("admin4Pcode").has(Roles::ADM4));
        assert!(roles("vil_code").has(Roles::ADM5));
        assert!(roles("ADM3_PCODE").has(Roles::ADM3));
        assert!(roles("lat").has(Roles::LAT));
        assert!(roles("Longitude").has(Roles::LON));
        assert!(roles("_gps_latitude").has(Roles::LAT));
        assert!(roles("GPS coordinates").has(Roles::COORDS));
    }

    #[test]
    fn aggregates_and_money() {
        assert!(roles("People reached").has(Roles::COUNT));
        assert!(roles("idp_households").has(Roles::COUNT));
        assert!(roles("Requirement (MMK)").has(Roles::AMOUNT));
        assert!(roles("Funding gap (USD)").has(Roles::AMOUNT));
        assert!(roles("Assistance").has(Roles::ASSISTANCE));
    }
}
