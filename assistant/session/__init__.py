"""Turn orchestration: one chat turn (comment -> answer, handoff), and later the voice turn."""
