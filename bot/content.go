package bot

// Content is the whole conversation an office ships: flows and offices.
type Content struct {
	// Flows by ID.
	Flows map[string]*Flow
	// Offices by ID; DefaultOffice names the one texts refer to as .Office.
	Offices       map[string]*Office
	DefaultOffice string
	// Reach names the topics and sources of deep links (reach.yaml); nil without one.
	Reach *Reach
}

// Flow is one topic of conversation: a set of nodes with a start.
type Flow struct {
	ID    string
	Start string
	Nodes map[string]*Node
	// File is where the flow was loaded from, for error messages.
	File string
}

// Node is one step of a flow. See docs/flows.md for what each field does.
type Node struct {
	ID       string
	Flow     string
	Say      []string
	Venue    string
	Options  []Option
	Save     string
	Ask      string
	Next     string
	Branch   []Case
	Lang     string
	Picker   bool
	Handoff  string
	Keywords string
	// Line is the node's line in File, for error messages.
	Line int
}

// Ref is the node's global name, "flow.node".
func (n *Node) Ref() string { return n.Flow + "." + n.ID }

// Option is one button of a node.
type Option struct {
	ID    string
	Label string
	Goto  string
	Lang  string
	Line  int
}

// Case is one arm of a branch: when all saved answers in When match, go to Goto.
type Case struct {
	When map[string]string
	Goto string
	Line int
}

// Office is a place users can visit.
type Office struct {
	ID            string
	Name          string
	Address       string
	Floor         string
	Postcode      string
	City          string
	Phone         string
	Hours         Hours
	TimeZone      string
	Lat, Lon      float64
	NoAppointment bool
}

// Hours are opening hours per weekday as "10:00–15:00", or empty when closed.
type Hours struct {
	Mon, Tue, Wed, Thu, Fri, Sat, Sun string
}

// Node finds a node by reference: "flow.node", or "flow" for the flow's start.
func (c *Content) Node(ref string) *Node {
	flowID, nodeID := splitRef(ref)
	f := c.Flows[flowID]
	if f == nil {
		return nil
	}
	if nodeID == "" {
		nodeID = f.Start
	}
	return f.Nodes[nodeID]
}

// Resolve turns a goto target written in flow `from` into a full "flow.node" reference.
// "node" means a node of the same flow, "flow" that flow's start, "flow.node" itself.
func (c *Content) Resolve(from, target string) string {
	if flowID, nodeID := splitRef(target); nodeID != "" {
		return flowID + "." + nodeID
	}
	if f := c.Flows[from]; f != nil {
		if _, ok := f.Nodes[target]; ok {
			return from + "." + target
		}
	}
	if f := c.Flows[target]; f != nil {
		return f.ID + "." + f.Start
	}
	return target
}

func splitRef(ref string) (flow, node string) {
	for i := 0; i < len(ref); i++ {
		if ref[i] == '.' {
			return ref[:i], ref[i+1:]
		}
	}
	return ref, ""
}
