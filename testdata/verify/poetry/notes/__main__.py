from notes import main

main()
