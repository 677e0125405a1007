package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/store"
)

// groupNamed reads a group from the store.
func groupNamed(t *testing.T, st store.Store, name string) (store.Group, bool) {
	t.Helper()
	gs, err := st.Groups(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(gs, func(g store.Group) bool { return g.Name == name })
	if i < 0 {
		return store.Group{}, false
	}
	return gs[i], true
}

func TestGroupCommands(t *testing.T) {
	dir := newData(t)
	st := openData(t, dir)
	alice, bob, carol := userID(t, st, "alice"), userID(t, st, "bob"), userID(t, st, "carol")

	out := mustCLI(t, "group", "add", "--data", dir, "--name", "first-line", "--description", "Phones", "--members", "bob, alice")
	if !strings.Contains(out, `Created group "first-line" with members: alice, bob.`) {
		t.Fatalf("add: %q", out)
	}
	g, ok := groupNamed(t, st, "first-line")
	if !ok || g.Description != "Phones" || !slices.Equal(g.Members, []int64{alice, bob}) {
		t.Fatalf("stored group: %+v", g)
	}
	failCLI(t, `There is no user named "zed"`, "group", "add", "--data", dir, "--name", "x", "--members", "alice,zed")
	failCLI(t, `There are no users named "zed", "yan"`, "group", "add", "--data", dir, "--name", "x", "--members", "zed,alice,yan")
	failCLI(t, `There is already a group named "first-line"`, "group", "add", "--data", dir, "--name", "First-Line")
	failCLI(t, "cannot contain a comma", "group", "add", "--data", dir, "--name", "a,b")
	if code, _, errOut := cli(t, "group", "add", "--data", dir); code != 2 || !strings.Contains(errOut, "--name") {
		t.Fatalf("add without a name: %d %q", code, errOut)
	}
	if _, ok := groupNamed(t, st, "x"); ok {
		t.Fatal("a refused group was created")
	}

	// Flags before or after the group's name.
	mustCLI(t, "group", "set", "first-line", "--data", dir, "--add-members", "carol", "--remove-members", "alice")
	g, _ = groupNamed(t, st, "first-line")
	if !slices.Equal(g.Members, []int64{bob, carol}) {
		t.Fatalf("after add/remove: %v", g.Members)
	}
	out = mustCLI(t, "group", "set", "--data", dir, "first-line", "--name", "level-1", "--members", "alice", "--description", "")
	if !strings.Contains(out, `Changed group "level-1"; its members: alice.`) {
		t.Fatalf("set: %q", out)
	}
	g, ok = groupNamed(t, st, "level-1")
	if !ok || g.Description != "" || !slices.Equal(g.Members, []int64{alice}) {
		t.Fatalf("after set: %+v", g)
	}
	failCLI(t, "either --members", "group", "set", "--data", dir, "level-1", "--members", "bob", "--add-members", "carol")
	failCLI(t, `There is no group named "first-line"`, "group", "set", "--data", dir, "first-line", "--members", "bob")
	if code, _, _ := cli(t, "group", "set", "--data", dir, "level-1"); code != 2 {
		t.Fatalf("set without a change: exit %d", code)
	}

	mustCLI(t, "group", "add", "--data", dir, "--name", "empty")
	out = mustCLI(t, "group", "list", "--data", dir)
	if !strings.Contains(out, "NAME") || !strings.Contains(out, "level-1") || !strings.Contains(out, "empty") {
		t.Fatalf("list: %q", out)
	}

	out = mustCLI(t, "group", "delete", "--data", dir, "level-1")
	if !strings.Contains(out, `Deleted group "level-1".`) {
		t.Fatalf("delete: %q", out)
	}
	if _, ok := groupNamed(t, st, "level-1"); ok {
		t.Fatal("the group is still there")
	}
	failCLI(t, `There is no group named "level-1"`, "group", "delete", "--data", dir, "level-1")

	if n := len(auditOf(t, st, "group.created")); n != 2 {
		t.Errorf("%d group.created events, want 2", n)
	}
	changed := auditOf(t, st, "group.changed")
	if len(changed) != 2 || changed[1].Detail["renamed_from"] != "first-line" || changed[1].Detail["members"] != "alice" {
		t.Errorf("group.changed events: %+v", changed)
	}
	if d := auditOf(t, st, "group.deleted"); len(d) != 1 || d[0].Detail["group"] != "level-1" {
		t.Errorf("group.deleted events: %+v", d)
	}
}

func TestCategoriesAndPriorities(t *testing.T) {
	dir := newData(t)
	st := openData(t, dir)

	code, out, errOut := cli(t, "category", "list", "--data", dir)
	if code != 0 || out != strings.Join(proto.DefaultCategories, "\n")+"\n" || !strings.Contains(errOut, "default categories") {
		t.Fatalf("default list: %d %q %q", code, out, errOut)
	}
	mustCLI(t, "category", "set", "--data", dir, "hardware, software,printers")
	code, out, errOut = cli(t, "category", "list", "--data", dir)
	if code != 0 || out != "hardware\nsoftware\nprinters\n" || errOut != "" {
		t.Fatalf("list after set: %d %q %q", code, out, errOut)
	}
	v, err := st.Setting(context.Background(), store.SettingCategories)
	var stored []string
	if err != nil || json.Unmarshal([]byte(v), &stored) != nil || !slices.Equal(stored, []string{"hardware", "software", "printers"}) {
		t.Fatalf("stored categories: %q %v", v, err)
	}
	failCLI(t, "in the list twice", "category", "set", "--data", dir, "a,b,A")
	failCLI(t, "at least one category", "category", "set", "--data", dir, " , ")
	if code, _, _ := cli(t, "category", "set", "--data", dir); code != 2 {
		t.Fatalf("set without a list: exit %d", code)
	}

	out = mustCLI(t, "priority", "list", "--data", dir)
	if out != strings.Join(proto.DefaultPriorities, "\n")+"\n" {
		t.Fatalf("default priorities: %q", out)
	}
	mustCLI(t, "priority", "set", "urgent,normal", "--data", dir)
	if out := mustCLI(t, "priority", "list", "--data", dir); out != "urgent\nnormal\n" {
		t.Fatalf("priorities: %q", out)
	}

	ev := auditOf(t, st, "settings.categories")
	if len(ev) != 1 || ev[0].Detail["to"] != "hardware,software,printers" || ev[0].Detail["from"] != strings.Join(proto.DefaultCategories, ",") {
		t.Errorf("settings.categories events: %+v", ev)
	}
	if ev := auditOf(t, st, "settings.priorities"); len(ev) != 1 || ev[0].Detail["to"] != "urgent,normal" {
		t.Errorf("settings.priorities events: %+v", ev)
	}
}
