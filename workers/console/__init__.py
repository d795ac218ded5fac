"""The web console (`vstep-grading console`): the review workspace and operators' pages."""
