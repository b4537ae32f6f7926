from learninggraph.cli import main

raise SystemExit(main())
