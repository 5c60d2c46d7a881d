"""The hostile corpus (issue 14, "Prove it" 2): strings and files by category, the generator
of the big files, and the database snapshot that proves a refusal wrote nothing."""
