package bot

// enter moves the user to a node and runs it: language switch, handoff, texts, map pin, then either
// waits (options, ask, picker) or moves on by itself (next, branch).
func (t *turn) enter(ref string) {
	t.moveTo(ref, true)
}

func (t *turn) moveTo(ref string, remember bool) {
	s := t.s
	s.Pending = ""
	from := s.Position()
	for hop := 0; hop < maxHops; hop++ {
		n := t.e.content.Node(ref)
		if n == nil {
			// Only reachable with content that skipped validation: say so and show the menu.
			t.say(MsgOldButton)
			t.showCurrent()
			return
		}
		if n.Lang != "" {
			s.Lang = n.Lang
		}
		s.Flow, s.Node = n.Flow, n.ID
		t.recordTopic(n.Flow)
		if n.Handoff != "" && t.handoffNode(n) { // pages that depend on the clock (handoffpages.go)
			t.remember(remember, from, n)
			return
		}
		if n.Venue != "" {
			t.venue(n)
		}
		for _, id := range n.Say {
			t.sayFor(id, n.Venue, n.Flow, n.ID)
		}
		if n.Handoff != "" && len(t.res.Replies) > 0 && t.marks(n, from) {
			t.res.Replies[len(t.res.Replies)-1].Handoff = n.Handoff
		}
		if len(n.Branch) > 0 {
			ref = t.e.content.Resolve(n.Flow, t.branch(n))
			continue
		}
		if len(n.Options) == 0 && !n.Picker && n.Ask == "" && n.Next != "" {
			ref = t.e.content.Resolve(n.Flow, n.Next)
			continue
		}
		t.remember(remember, from, n)
		t.attach(t.withListen(n, t.nodeButtons(n)))
		if remember && helpfulPage(n) {
			t.askHelpful(n)
		}
		return
	}
	t.say(MsgNotUnderstood)
	t.attach([]Button{t.menuButton()})
}

// remember adds the page the user came from to the /back trail.
func (t *turn) remember(remember bool, from string, n *Node) {
	s := t.s
	if remember && from != "" && from != n.Ref() {
		s.Trail = append(s.Trail, from)
		if len(s.Trail) > MaxTrail {
			s.Trail = append(s.Trail[:0], s.Trail[len(s.Trail)-MaxTrail:]...)
		}
	}
}

// branch picks the first case whose conditions hold for the saved answers.
func (t *turn) branch(n *Node) string {
	for _, c := range n.Branch {
		if t.holds(c.When) {
			return c.Goto
		}
	}
	return n.Next
}

func (t *turn) holds(when map[string]string) bool {
	for k, want := range when {
		got := t.s.Answers[k]
		switch want {
		case "*":
			if got == "" {
				return false
			}
		default:
			if got != want {
				return false
			}
		}
	}
	return true
}

// recordTopic records a flow among the topics a user has seen, for staff and for anonymous
// reporting (it is not an office visit: those are planned by the handoff pages).
func (t *turn) recordTopic(flow string) {
	if flow == MainFlow || flow == LanguageFlow {
		return
	}
	for _, f := range t.s.Topics {
		if f == flow {
			return
		}
	}
	if len(t.s.Topics) < 16 {
		t.s.Topics = append(t.s.Topics, flow)
	}
}

func (t *turn) venue(n *Node) {
	o := t.e.content.Offices[n.Venue]
	if o == nil {
		return
	}
	addr := o.Address
	if o.Postcode != "" || o.City != "" {
		addr += ", " + o.Postcode + " " + o.City
	}
	t.res.Replies = append(t.res.Replies, Reply{
		Lang: t.lang(), Flow: n.Flow, Node: n.ID,
		Venue: &Venue{Name: o.Name, Address: addr, Lat: o.Lat, Lon: o.Lon},
	})
}

// nodeButtons are the buttons a node offers: its options, the language list for a picker, or
// Back and Main menu for a page that has nothing else.
func (t *turn) nodeButtons(n *Node) []Button {
	switch {
	case n.Handoff == HandoffVisit && t.e.cal != nil:
		return t.dayButtons()
	case n.Picker:
		codes := t.e.lang.Languages()
		b := make([]Button, len(codes))
		for i, code := range codes {
			b[i] = Button{Label: t.e.lang.Text(code, MsgLanguageSelf, ""), Data: dataLang + code}
		}
		return b
	case len(n.Options) > 0:
		b := make([]Button, 0, len(n.Options))
		noStaff := !t.staffThere()
		for _, o := range n.Options {
			if noStaff && t.chatOption(n, o) {
				continue // nobody would answer
			}
			b = append(b, Button{Label: t.e.lang.Text(t.lang(), o.Label, ""), Data: OptionData(n.Ref(), o.ID)})
		}
		if n.Flow == SafetyFlow && len(t.s.Trail) > 0 {
			// Help never blocks the conversation: the user can go straight back to where they were.
			b = append(b, Button{Label: t.e.lang.Text(t.lang(), MsgBack, ""), Data: dataCommand + "back"})
		}
		return b
	case n.Ask != "":
		return nil
	default:
		return []Button{
			{Label: t.e.lang.Text(t.lang(), MsgBack, ""), Data: dataCommand + "back"},
			t.menuButton(),
		}
	}
}

func (t *turn) menuButton() Button {
	return Button{Label: t.e.lang.Text(t.lang(), MsgMenu, ""), Data: dataCommand + "menu"}
}

func (t *turn) pendingButtons() []Button {
	yes, no := MsgContinue, MsgStartOver
	yesData, noData := dataCommand+"continue", dataCommand+"start"
	if t.s.Pending == pendingForget {
		yes, no = MsgForgetYes, MsgForgetNo
		yesData, noData = dataCommand+"forget_yes", dataCommand+"forget_no"
	}
	return []Button{
		{Label: t.e.lang.Text(t.lang(), yes, ""), Data: yesData},
		{Label: t.e.lang.Text(t.lang(), no, ""), Data: noData},
	}
}

// marks reports whether entering n asks the handoff service to act. An urgent ticket is opened
// only while the office is open (staff are there to see it) and once per arrival at the page.
func (t *turn) marks(n *Node, from string) bool {
	if n.Handoff != HandoffUrgent {
		return true
	}
	if from == n.Ref() {
		return false
	}
	return t.e.cal == nil || t.e.cal.OpenNow(t.ev.Time)
}
