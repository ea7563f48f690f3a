"""HTTP views, one blueprint per resource. Views are thin: parse, call one data function,
render one template."""
