//! The page parsed back strictly (it must be well-formed XML), for the tests to look into.

use quick_xml::Reader;
use quick_xml::events::Event;

/// An element of the page, parsed back strictly (the page must be well-formed XML).
#[derive(Debug, Default)]
pub(super) struct Node {
    pub(super) name: String,
    pub(super) attrs: Vec<(String, String)>,
    pub(super) children: Vec<Child>,
}

#[derive(Debug)]
pub(super) enum Child {
    El(Node),
    Text(String),
}

impl Node {
    pub(super) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub(super) fn text(&self) -> String {
        let mut s = String::new();
        for c in &self.children {
            match c {
                Child::Text(t) => s.push_str(t),
                Child::El(n) => s.push_str(&n.text()),
            }
        }
        s
    }

    pub(super) fn elements(&self) -> impl Iterator<Item = &Node> {
        self.children.iter().filter_map(|c| match c {
            Child::El(n) => Some(n),
            Child::Text(_) => None,
        })
    }

    /// Every element below this one named `name`, in document order.
    pub(super) fn all(&self, name: &str) -> Vec<&Node> {
        let mut out = Vec::new();
        for n in self.elements() {
            if n.name == name {
                out.push(n);
            }
            out.extend(n.all(name));
        }
        out
    }

    pub(super) fn by_id(&self, id: &str) -> Option<&Node> {
        for n in self.elements() {
            if n.attr("id") == Some(id) {
                return Some(n);
            }
            if let Some(found) = n.by_id(id) {
                return Some(found);
            }
        }
        None
    }

    /// The text of each cell of each body row of a table.
    pub(super) fn rows(&self) -> Vec<Vec<String>> {
        let body = self.all("tbody");
        body[0]
            .all("tr")
            .iter()
            .map(|tr| tr.elements().map(Node::text).collect())
            .collect()
    }
}

pub(super) fn parse(html: &str) -> Node {
    let mut reader = Reader::from_str(html);
    reader.config_mut().check_end_names = true;
    let mut stack = vec![Node::default()];
    loop {
        match reader.read_event().expect("well-formed") {
            Event::Start(e) => stack.push(element(&e)),
            Event::Empty(e) => {
                let n = element(&e);
                stack.last_mut().unwrap().children.push(Child::El(n));
            }
            Event::End(_) => {
                let n = stack.pop().unwrap();
                stack.last_mut().unwrap().children.push(Child::El(n));
            }
            Event::Text(t) => {
                let t = t.xml10_content().into_owned();
                stack.last_mut().unwrap().children.push(Child::Text(t));
            }
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref().expect("char ref") {
                    Some(c) => c.to_string(),
                    None => match &*r.into_inner() {
                        "amp" => "&".into(),
                        "lt" => "<".into(),
                        "gt" => ">".into(),
                        "quot" => "\"".into(),
                        "apos" => "'".into(),
                        other => panic!("entity &{other}; is not XML"),
                    },
                };
                stack.last_mut().unwrap().children.push(Child::Text(c));
            }
            Event::DocType(_) | Event::Comment(_) => {}
            Event::Eof => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(stack.len(), 1, "unclosed elements");
    let mut doc = stack.pop().unwrap();
    let roots: Vec<Node> = doc
        .children
        .drain(..)
        .filter_map(|c| match c {
            Child::El(n) => Some(n),
            Child::Text(t) => {
                assert!(t.trim().is_empty(), "text outside <html>: {t:?}");
                None
            }
        })
        .collect();
    assert_eq!(roots.len(), 1);
    assert_eq!(roots[0].name, "html");
    roots.into_iter().next().unwrap()
}

pub(super) fn element(e: &quick_xml::events::BytesStart<'_>) -> Node {
    Node {
        name: e.name().0.to_string(),
        attrs: e
            .attributes()
            .map(|a| {
                let a = a.expect("attribute");
                (
                    a.key.0.to_string(),
                    a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .expect("attribute value")
                        .into_owned(),
                )
            })
            .collect(),
        children: Vec::new(),
    }
}
