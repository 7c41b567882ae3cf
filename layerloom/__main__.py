from layerloom.cli import main

raise SystemExit(main())
