//! What tests print reaches the reports intact and the XML stays valid.

mod common;

use common::{run_in, temp_module};

const NOISY_TEST: &str = r#"package noisy

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestColours(t *testing.T) {
	fmt.Println("\x1b[31mred\x1b[0m bell\x07 ctrl\x01 nul\x00 end")
	os.Stdout.Write([]byte{'b', 'a', 'd', ':', 0xff, 0xfe, '\n'})
	t.Log("logged \x1b[1mbold\x1b[0m")
}

func TestColoursFail(t *testing.T) {
	t.Errorf("failing with \x1b[33mcolour\x1b[0m and \x02 control")
}

func TestBig(t *testing.T) {
	line := strings.Repeat("x", 1000)
	for i := 0; i < 2000; i++ {
		fmt.Println(i, line)
	}
}
"#;

#[test]
fn control_bytes_and_colours_keep_the_junit_valid_and_visible() {
    let module = temp_module(&[("noisy/noisy_test.go", NOISY_TEST)]);
    let run = run_in(module.path(), &["--", "-count=1"], &[]);
    assert_eq!(run.code(), 1, "{}", run.stdout());
    let doc = roxmltree::Document::parse(&run.junit).expect("valid XML despite control bytes");
    let case = |name: &str| {
        doc.descendants()
            .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some(name))
            .unwrap()
    };
    let out = |name: &str| {
        case(name)
            .children()
            .find(|n| n.has_tag_name("system-out"))
            .and_then(|n| n.text())
            .unwrap_or("")
            .to_string()
    };
    let colours = out("TestColours");
    assert!(colours.contains("red bell\\x07 ctrl\\x01 nul\\x00 end"), "{colours:?}");
    assert!(colours.contains("logged bold"), "{colours:?}");
    assert!(colours.contains("bad:"), "{colours:?}");
    let failure = case("TestColoursFail")
        .children()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert!(failure
        .text()
        .unwrap()
        .contains("failing with colour and \\x02 control"));
    // 2,000 lines of 1,000 bytes: nothing dropped.
    let big = out("TestBig");
    assert!(big.contains("1999 xxx"), "last line missing");
    assert!(big.len() > 2_000_000, "output truncated to {} bytes", big.len());
}
